"""Commands in README.md and CONTRIBUTING.md (run by pytest-codeblocks) use this interpreter's tools."""

import os
import sys
from pathlib import Path

os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
