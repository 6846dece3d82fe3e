"""Find the Python interpreters the snippets are checked on (3.11, 3.12, 3.13 ...)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
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
_found: dict[str, Interpreter] = {}


def find(minor: str) -> Interpreter:
    """The interpreter for ``minor``, or :class:`MissingInterpreter` saying how to get one."""
    if minor in _missing:
        raise _missing[minor]
    if minor in _found:
        return _found[minor]
    try:
        _found[minor] = _find(minor)
        return _found[minor]
    except MissingInterpreter as error:
        _missing[minor] = error
        raise


def look_for(minors: tuple[str, ...]) -> None:
    """Look for several versions at once: each look starts that Python, and a build needs them all."""
    unknown = [minor for minor in minors if minor not in _missing and minor not in _found]
    if len(unknown) > 1:
        with ThreadPoolExecutor(len(unknown), thread_name_prefix="look-for-python") as pool:
            list(pool.map(missing, unknown))


def missing(minor: str) -> str | None:
    """Why ``minor`` cannot be checked here (how to install it or leave it out), or None if it can."""
    try:
        find(minor)
    except MissingInterpreter as error:
        return str(error)
    return None


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
