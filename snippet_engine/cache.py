"""Runs that passed their check, stored by content hash, so an unchanged snippet never runs twice.

The key covers everything that decides the verdict: the snippet, its expected-output
file, the exact interpreter version, the engine's own code and the tolerances.
Failed runs are not stored, so a failure is always looked at afresh.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

from .config import Settings
from .interpreters import Interpreter
from .run import Run

_ENGINE_FILES = (
    "run.py",
    "expected.py",
    "forkserver.py",
    "sandbox.py",
    "child/sitecustomize.py",
    "child/_snippet_run.py",
    "child/_snippet_sandbox.py",
    "child/_snippet_recorder.py",
    "child/_snippet_forkserver.py",
)


@functools.cache
def engine_version() -> str:
    digest = hashlib.sha256()
    for name in _ENGINE_FILES:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:16]


def key(snippet: Path, expected_file: Path, interpreter: Interpreter, settings: Settings) -> str:
    digest = hashlib.sha256()
    tolerances = (settings.early, settings.late, settings.late_ratio, settings.max_lines, settings.max_bytes)
    for part in (
        engine_version(),
        interpreter.version,
        repr(tolerances),
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
    temporary = cache_dir / f"{run_key}.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(run.to_json()))
    temporary.replace(cache_dir / f"{run_key}.json")  # atomic: a build and the tests may share the cache
