"""Does a cold build's time grow with the longest wait, or with the number of runs?

    python benchmarks/growth.py [--copies 1] [--rounds 3]

Clones this checkout's HEAD, then makes every page and every snippet N more times
(``docs/gather-copy1.md`` showing ``snippets/gather_copy1/...``, listed in ``nav``), and
times a cold ``mkdocs build --strict`` (an empty cache) with and without the copies. The
budget (CONTRIBUTING): the longest snippet plus 3 s, however many samples there are.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from snippet_engine.expected import parse  # noqa: E402


def copy_content(project: Path, copies: int) -> None:
    docs, snippets = project / "docs", project / "snippets"
    pages = sorted(docs.glob("*.md"))
    folders = sorted(path for path in snippets.iterdir() if path.is_dir())
    nav = []
    for n in range(1, copies + 1):
        for folder in folders:
            shutil.copytree(folder, snippets / f"{folder.name}_copy{n}")
        for page in pages:
            text = re.sub(
                r"^(```snippet[^\n]*\n)([\w/.-]+?)/",
                lambda m, n=n: f"{m[1]}{m[2]}_copy{n}/",
                page.read_text(),
                flags=re.MULTILINE,
            )
            copy = docs / f"{page.stem}-copy{n}.md"
            copy.write_text(text)
            nav.append(f"      - {page.stem} (copy {n}): {copy.name}\n")
    config = project / "mkdocs.yml"
    text = config.read_text()
    text = text.replace("\ntheme:", "\n  - Copies:\n" + "".join(nav) + "\ntheme:", 1)
    config.write_text(text)


def cold_build(project: Path) -> float:
    shutil.rmtree(project / ".cache", ignore_errors=True)
    started = time.monotonic()
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(project.parent / "site")],
        cwd=project, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "HOME": "/tmp",
        "SNIPPET_PROJECT_ROOT": str(project), "PYENV_ROOT": str(Path.home() / ".pyenv")},
    )  # fmt: skip
    took = time.monotonic() - started
    if build.returncode:
        sys.exit(f"the build failed:\n{build.stderr[-3000:]}")
    return took


def describe(project: Path) -> tuple[int, float]:
    outs = list((project / "snippets").rglob("*.out"))
    return len(outs), max(parse(out).duration for out in outs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for label, copies in (("as it is", 0), (f"with {args.copies} more of everything", args.copies)):
            project = Path(tmp) / f"clone{copies}"
            subprocess.run(["git", "clone", "-q", str(ROOT), str(project)], check=True)
            if copies:
                copy_content(project, copies)
            count, longest = describe(project)
            times = [cold_build(project) for _ in range(args.rounds)]
            print(f"{label}: {count} snippets, longest {longest:.2f} s; cold builds "
                  f"{', '.join(f'{t:.1f}' for t in times)} s; budget {longest + 3:.1f} s", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
