"""Runs that passed their check, stored by content hash, so an unchanged snippet never runs twice.

The key covers everything that can change a run or its verdict: the snippet, its
expected-output file, the interpreter (its path and exact version), every file of the
engine, every setting that bears on a run or its check, and the run mode
(:func:`.config.run_mode`). Failed runs are not stored, so a failure is always looked at afresh.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import threading
from pathlib import Path

from .config import Settings, run_mode
from .interpreters import Interpreter
from .run import Run

ENGINE_DIR = Path(__file__).resolve().parent
# Settings that only choose which runs happen, or where passing ones are kept: never how a run goes.
NOT_IN_KEY = frozenset({"root", "pythons", "configured", "cache_dir"})


def engine_version() -> str:
    """A hash of every ``.py`` file of the engine (its path and content): any edit re-runs everything.

    Looked at on every call (a served site's child processes see an edit at once); hashed again only
    when a file's size or modification time changed.
    """
    files = sorted(p for p in ENGINE_DIR.rglob("*.py") if "__pycache__" not in p.parts)
    return _hash(tuple((path, path.stat().st_mtime_ns, path.stat().st_size) for path in files))


@functools.lru_cache(maxsize=8)
def _hash(files: tuple[tuple[Path, int, int], ...]) -> str:
    digest = hashlib.sha256()
    for path, _, _ in files:
        digest.update(path.relative_to(ENGINE_DIR).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def settings_in_key(settings: Settings) -> str:
    fields = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings) if f.name not in NOT_IN_KEY}
    return json.dumps(fields, sort_keys=True, default=str)


def key(snippet: Path, expected_file: Path, interpreter: Interpreter, settings: Settings, engine: str = "") -> str:
    """``engine``: :func:`engine_version`, when the caller has it already (a batch looks once, not per run)."""
    digest = hashlib.sha256()
    for part in (
        engine or engine_version(),
        interpreter.executable,
        interpreter.version,
        settings_in_key(settings),
        json.dumps(run_mode(), sort_keys=True),
        snippet.read_bytes(),
        expected_file.read_bytes(),
    ):
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def load(cache_dir: Path, run_key: str) -> Run | None:
    try:
        return Run.from_json(json.loads((cache_dir / f"{run_key}.json").read_text()))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def store(cache_dir: Path, run_key: str, run: Run) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    temporary = cache_dir / f"{run_key}.{os.getpid()}.{threading.get_ident()}.tmp"  # a build's two threads may
    temporary.write_text(json.dumps(run.to_json()))
    temporary.replace(cache_dir / f"{run_key}.json")  # atomic: a build and the tests may share the cache
