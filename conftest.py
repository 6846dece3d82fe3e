"""Commands in README.md and CONTRIBUTING.md (run by pytest-codeblocks) use this interpreter's tools."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A failed shell block says what failed. pytest-codeblocks 0.18.0 reports the exit status alone, as an
    int, which pytest-xdist cannot read back: the whole run ended in INTERNALERROR, the failure unsaid."""
    report = (yield).get_result()
    if report.failed and call.excinfo is not None and isinstance(call.excinfo.value, subprocess.CalledProcessError):
        error = call.excinfo.value
        said = [f"{item.name}: exit status {error.returncode} from\n{error.cmd}"]
        for stream, text in (("stdout", error.stdout), ("stderr", error.stderr)):
            if text:
                text = text.decode(errors="replace") if isinstance(text, bytes) else text
                said.append(f"--- {stream} (the last 3,000 characters)\n{text[-3000:]}")
        report.longrepr = "\n".join(said)
