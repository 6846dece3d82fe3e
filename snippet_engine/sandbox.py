"""The sandbox every snippet runs in (bubblewrap), and whether one can start on this machine.

A sample is code a contributor sent, run before anyone has read it. In the sandbox it sees
the machine read-only (the checkout, the cache, the site), a private ``/tmp``, only the
environment the engine passes (``run.environment``), loopback and no other network, and no
process outside it; when the engine ends, even killed, bubblewrap ends everything in it.

Where no sandbox can start (macOS, a restricted kernel), a local build says so once and runs
unsandboxed; with ``CI`` set that is an error instead.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
from pathlib import Path

from .config import ConfigError, settings

log = logging.getLogger("mkdocs.plugins.snippet_engine")

BWRAP = "bwrap"
_COMMON = (
    "--unshare-all", "--unshare-user",  # own user, PID, network (loopback only), IPC, UTS, cgroup namespaces
    "--die-with-parent",  # killed with the engine, even by SIGKILL
    "--new-session",  # no terminal to inject keystrokes into
    "--ro-bind", "/", "/",  # the whole machine, read-only
    "--dev", "/dev", "--tmpfs", "/dev/shm", "--remount-ro", "/dev",  # no run can replace /dev/null for others
    "--proc", "/proc", "--tmpfs", "/tmp",
)  # fmt: skip


class SandboxUnavailable(OSError):
    """No sandbox can start, and ``CI`` is set: checking unsandboxed there would hide the problem."""


ENGINE_DIR = str(Path(__file__).resolve().parent)


def command(argv: list[str], *, chdir: str, read_only: tuple[str, ...] = (), privileged: bool = False) -> list[str]:
    """``argv`` in a new sandbox, started in ``chdir``, with the ``read_only`` folders of the private /tmp.

    The engine's own files and the interpreter ``argv[0]`` stay visible, read-only, wherever they
    are: a checkout or its virtual environment may itself lie below /tmp (``mktemp -d``, as in CI).

    ``privileged``: keep capabilities within the sandbox's own user namespace (the fork server needs
    them to give each run namespaces of its own, then drops them); else none at all.
    """
    needed = [*read_only, *_project(), ENGINE_DIR, *_installation(argv[0])]
    binds = [arg for folder in dict.fromkeys(needed) for arg in ("--ro-bind", folder, folder)]
    caps = ["--cap-add", "ALL"] if privileged else ["--cap-drop", "ALL"]  # within its own user namespace
    return [BWRAP, *_COMMON, *binds, *caps, "--chdir", chdir, "--", *argv]


def _project() -> list[str]:
    """The checkout being checked, seen read-only wherever it lies (/tmp included): as everywhere else."""
    try:
        return [str(settings().root)]
    except ConfigError:
        return []  # no project (a test's own small runs): nothing more to show


def _installation(executable: str) -> list[str]:
    """The folders an interpreter needs that a private /tmp could hide: its environment's and its own."""
    path = Path(executable).absolute()
    folders = [path.parent.parent, path.resolve().parent.parent]  # a venv's root, the real installation
    # Each as what it really is: bwrap cannot bind onto a symbolic link (a checkout's `.venv` linked to another
    # one); the link itself comes with the folder it lies in, and leads to what is bound here, or to / (read-only).
    real = [folder.resolve() for folder in folders]
    return [str(folder) for folder in real if folder.is_relative_to("/tmp")]


@functools.cache
def _probe() -> str | None:
    """Why no sandbox can start here, or None when one can."""
    executable = shutil.which(BWRAP)
    if executable is None:
        return f"{BWRAP} (bubblewrap) was not found"
    try:
        probe = subprocess.run(
            command(["/bin/true"], chdir="/", privileged=True), capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError) as error:
        return f"{BWRAP} could not run: {error}"
    if probe.returncode:
        return f"{BWRAP} could not start a sandbox: {probe.stderr.strip() or f'exit code {probe.returncode}'}"
    return None


@functools.cache
def enabled() -> bool:
    """Whether to sandbox runs; says once why not, and raises :class:`SandboxUnavailable` under CI."""
    reason = _probe()
    if reason is None:
        return True
    if os.environ.get("CI"):
        raise SandboxUnavailable(f"no sandbox for snippets: {reason} (CI is set, so this is an error)")
    log.warning("snippets run UNSANDBOXED: %s", reason)
    return False
