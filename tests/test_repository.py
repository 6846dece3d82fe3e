"""The repository keeps its promises: README's commands are CI's, code is linted, docs quote real files."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fenced_blocks(markdown: str, language: str) -> list[str]:
    return [m[1] for m in re.finditer(rf"^ *```{language}\n(.*?)^ *```$", markdown, re.DOTALL | re.MULTILINE)]


def test_ci_runs_the_test_command_from_the_readme():
    serve, test = (block.strip() for block in fenced_blocks((ROOT / "README.md").read_text(), "sh"))
    assert "mkdocs serve" in serve
    assert "pytest" in test
    assert test in (ROOT / ".ci" / "run").read_text().splitlines()


def test_code_is_linted_and_formatted():
    ruff = [sys.executable, "-m", "ruff"]
    for command in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run([*ruff, *command], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, f"ruff {' '.join(command)}:\n{result.stdout}{result.stderr}"


def test_contributing_quotes_a_real_snippet():
    (example,) = fenced_blocks((ROOT / "CONTRIBUTING.md").read_text(), "python")
    example = "\n".join(line.removeprefix("    ") for line in example.splitlines())
    assert example.strip() == (ROOT / "snippets" / "home" / "thirty_seconds.py").read_text().strip()
