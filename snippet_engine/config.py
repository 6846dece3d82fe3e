"""Project settings, read from ``[tool.snippet-engine]`` in the ``pyproject.toml`` of the project being built.

The project is the one being built or tested, never the place the engine is installed
(one virtual environment may serve two checkouts):

* ``SNIPPET_PROJECT_ROOT``, if set: an explicit override (the tests use it);
* else the project its caller named with :func:`use_project`: the fence names the folder
  of the ``mkdocs.yml`` being built, the test suite names pytest's rootdir;
* else ``MKDOCS_CONFIG_DIR`` (set by markdown-exec's MkDocs plugin during a build);
* else the nearest folder, from the working directory up, whose ``pyproject.toml`` has
  a ``[tool.snippet-engine]`` table (``python -m snippet_engine``).
"""

from __future__ import annotations

import functools
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

TABLE = "snippet-engine"


class ConfigError(RuntimeError):
    """The project or its settings cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class Settings:
    root: Path  # the project: the folder of its pyproject.toml
    snippets_dir: Path
    cache_dir: Path
    pythons: tuple[str, ...]  # the minor versions checked in this build, oldest first: ("3.11", "3.12", "3.13")
    configured: tuple[str, ...]  # every version pyproject.toml lists; the others were left out (SNIPPET_PYTHONS)
    timeout: float  # seconds, per run; a snippet may set its own in its .out file
    max_lines: int  # a run that prints more is stopped
    max_bytes: int
    early: float  # a line may appear this much before its expected time (rounding only)
    late: float  # ... and this much after it, plus `late_ratio` of the expected time
    late_ratio: float
    concurrency: int  # processes at once

    @property
    def left_out(self) -> tuple[str, ...]:
        """Configured versions this build does not check (``SNIPPET_PYTHONS``): pages mark them unchecked."""
        return tuple(minor for minor in self.configured if minor not in self.pythons)


_chosen: Path | None = None


def use_project(directory: Path | str | None) -> None:
    """Check the project in ``directory`` from now on (None: find it again, as on start)."""
    global _chosen
    _chosen = None if directory is None else Path(directory).resolve()


def root() -> Path:
    """The project being built or tested (see the module's docstring for the order)."""
    if explicit := os.environ.get("SNIPPET_PROJECT_ROOT"):
        return Path(explicit).resolve()
    if _chosen is not None:
        return _chosen
    if built := os.environ.get("MKDOCS_CONFIG_DIR"):
        return Path(built).resolve()
    return find_project(Path.cwd())


def find_project(start: Path) -> Path:
    """The nearest folder from ``start`` up whose ``pyproject.toml`` has ``[tool.snippet-engine]``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and TABLE in _read_toml(candidate).get("tool", {}):
            return folder
    raise ConfigError(
        f"no project here: no pyproject.toml with [tool.{TABLE}] in {start} or above it; "
        "run from inside the project, or set SNIPPET_PROJECT_ROOT"
    )


def _read_toml(path: Path) -> dict:
    """``path`` parsed; parsed again only when its content changed.

    Every message names its file relative to the project (:func:`shown`), so the project is looked
    up a thousand times in a build: parsing its ``pyproject.toml`` each time took 0.4 s of a cold one.
    Reading it is cheap, and exact where a modification time may not change (two quick edits).
    """
    try:
        return _parsed(path.read_bytes())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from None


@functools.lru_cache(maxsize=16)
def _parsed(data: bytes) -> dict:
    return tomllib.loads(data.decode("utf-8"))


def settings() -> Settings:
    """The settings of :func:`root`'s project, with this process's environment applied."""
    return _load(
        root(),
        os.environ.get("SNIPPET_PYTHONS", ""),
        os.environ.get("SNIPPET_CACHE_DIR", ""),
        os.environ.get("CI", ""),
    )


@functools.cache
def _load(project: Path, chosen: str, cache_dir: str, ci: str) -> Settings:
    table = _read_toml(project / "pyproject.toml").get("tool", {}).get(TABLE)
    if table is None:
        raise ConfigError(f"{project / 'pyproject.toml'}: no [tool.{TABLE}] table")
    configured = tuple(table["pythons"])
    pythons = configured
    # SNIPPET_PYTHONS=3.11,3.13 narrows the run to the interpreters a reader has; never in CI.
    if chosen.strip():
        if ci:
            raise ConfigError(
                f"SNIPPET_PYTHONS={chosen} is refused in CI (CI={ci} is set): CI checks every version "
                f"pyproject.toml lists ({', '.join(configured)}); unset SNIPPET_PYTHONS"
            )
        pythons = tuple(v.strip() for v in chosen.split(",") if v.strip())
        if unknown := [v for v in pythons if v not in configured]:
            raise ConfigError(
                f"SNIPPET_PYTHONS={chosen} names {', '.join(unknown)}, which pyproject.toml does not list "
                f"(it lists {', '.join(configured)})"
            )
        pythons = tuple(v for v in configured if v in pythons)  # oldest first, as configured
    return Settings(
        root=project,
        snippets_dir=project / table["snippets-dir"],
        cache_dir=Path(cache_dir or project / table["cache-dir"]),
        pythons=pythons,
        configured=configured,
        timeout=float(table["timeout"]),
        max_lines=int(table["max-lines"]),
        max_bytes=int(table["max-bytes"]),
        early=float(table["early"]),
        late=float(table["late"]),
        late_ratio=float(table["late-ratio"]),
        concurrency=int(table["concurrency"]),
    )


settings.cache_clear = _load.cache_clear  # type: ignore[attr-defined]  # the tests' way to re-read


def run_mode() -> dict[str, str]:
    """How runs are started, as far as it can change what they print: part of every cache key.

    ``SNIPPET_FRESH_PROCESSES=1`` starts each run as a new ``python name.py`` instead of
    forking it from a warm interpreter. A new mode (a sandbox, say) adds its entry here.
    """
    fresh = os.environ.get("SNIPPET_FRESH_PROCESSES", "") not in ("", "0")
    return {"processes": "fresh" if fresh else "forked"}


def discover(directory: Path | None = None) -> list[Path]:
    """Every snippet, sorted: each ``*.py`` below the snippets folder."""
    directory = directory or settings().snippets_dir
    return sorted(p for p in directory.rglob("*.py") if "__pycache__" not in p.parts)


def shown(path: Path) -> str:
    """A path as messages show it: relative to the project, so it can be clicked and copied."""
    try:
        return path.resolve().relative_to(root()).as_posix()
    except (ValueError, ConfigError):
        return str(path)


def label(snippet: Path) -> str:
    """The name a snippet goes by on pages and in test ids: its path below ``snippets/``."""
    try:
        return snippet.resolve().relative_to(settings().snippets_dir).as_posix()
    except ValueError:
        return str(snippet)
