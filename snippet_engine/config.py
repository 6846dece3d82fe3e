"""Project settings, read from ``[tool.snippet-engine]`` in ``pyproject.toml``."""

from __future__ import annotations

import functools
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

# The project whose snippets are run; the tests point it at small projects of their own.
ROOT = Path(os.environ.get("SNIPPET_PROJECT_ROOT", Path(__file__).resolve().parent.parent)).resolve()


@dataclass(frozen=True)
class Settings:
    snippets_dir: Path
    cache_dir: Path
    pythons: tuple[str, ...]  # minor versions, oldest first: ("3.11", "3.12", "3.13")
    timeout: float  # seconds, per run; a snippet may set its own in its .out file
    max_lines: int  # a run that prints more is stopped
    max_bytes: int
    early: float  # a line may appear this much before its expected time (rounding only)
    late: float  # ... and this much after it, plus `late_ratio` of the expected time
    late_ratio: float
    concurrency: int  # processes at once


@functools.cache
def settings() -> Settings:
    table = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["snippet-engine"]
    pythons = tuple(table["pythons"])
    # SNIPPET_PYTHONS=3.11,3.13 narrows the run to the interpreters a reader has.
    if chosen := os.environ.get("SNIPPET_PYTHONS"):
        pythons = tuple(v.strip() for v in chosen.split(",") if v.strip())
    return Settings(
        snippets_dir=ROOT / table["snippets-dir"],
        cache_dir=Path(os.environ.get("SNIPPET_CACHE_DIR", ROOT / table["cache-dir"])),
        pythons=pythons,
        timeout=float(table["timeout"]),
        max_lines=int(table["max-lines"]),
        max_bytes=int(table["max-bytes"]),
        early=float(table["early"]),
        late=float(table["late"]),
        late_ratio=float(table["late-ratio"]),
        concurrency=int(table["concurrency"]),
    )


def discover(directory: Path | None = None) -> list[Path]:
    """Every snippet, sorted: each ``*.py`` below the snippets folder."""
    directory = directory or settings().snippets_dir
    return sorted(p for p in directory.rglob("*.py") if "__pycache__" not in p.parts)


def shown(path: Path) -> str:
    """A path as messages show it: relative to the project, so it can be clicked and copied."""
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def label(snippet: Path) -> str:
    """The name a snippet goes by on pages and in test ids: its path below ``snippets/``."""
    try:
        return snippet.resolve().relative_to(settings().snippets_dir).as_posix()
    except ValueError:
        return str(snippet)
