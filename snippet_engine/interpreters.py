"""Find the Python interpreters the snippets are checked on (3.11, 3.12, 3.13 ...)."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

_PROBE = "import json, sys, sysconfig; print(json.dumps([sys.version.split()[0], sysconfig.get_paths()['stdlib']]))"


@dataclass(frozen=True, order=True)
class Interpreter:
    minor: str  # "3.12"
    version: str  # "3.12.1"
    executable: str
    stdlib: str  # its standard library folder, to normalise paths in tracebacks


class MissingInterpreter(LookupError):
    pass


def _candidates(minor: str):
    if f"{sys.version_info.major}.{sys.version_info.minor}" == minor:
        yield sys.executable
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    installed = sorted(pyenv_root.glob(f"versions/{minor}.*/bin/python{minor}"), key=_patch_level, reverse=True)
    yield from map(str, installed)
    if found := shutil.which(f"python{minor}"):
        yield found


def _patch_level(path: Path) -> int:
    patch = path.parent.parent.name.split(".")[2]
    return int(patch) if patch.isdigit() else -1


_missing: dict[str, MissingInterpreter] = {}  # looked for once per process, like those found


def find(minor: str) -> Interpreter:
    """The interpreter for ``minor``, or :class:`MissingInterpreter` saying how to get one."""
    if minor in _missing:
        raise _missing[minor]
    try:
        return _find(minor)
    except MissingInterpreter as error:
        _missing[minor] = error
        raise


def missing(minor: str) -> str | None:
    """Why ``minor`` cannot be checked here (how to install it or leave it out), or None if it can."""
    try:
        find(minor)
    except MissingInterpreter as error:
        return str(error)
    return None


@functools.cache
def _find(minor: str) -> Interpreter:
    for executable in _candidates(minor):
        try:
            out = subprocess.run([executable, "-c", _PROBE], capture_output=True, text=True, timeout=30, check=True)
        except (OSError, subprocess.SubprocessError):
            continue  # for example a pyenv shim for a version that is not installed
        version, stdlib = json.loads(out.stdout)
        if version.startswith(minor + "."):
            return Interpreter(minor, version, executable, stdlib)
    raise MissingInterpreter(
        f"Python {minor} was not found (looked in pyenv and for python{minor} on PATH). "
        f"Install it (`pyenv install {minor}`) or check only the versions you have, "
        f"for example `SNIPPET_PYTHONS=3.11 pytest`."
    )


def version_tuple(minor: str) -> tuple[int, ...]:
    return tuple(int(part) for part in minor.split("."))
