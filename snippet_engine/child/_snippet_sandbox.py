"""Seal one run inside the sandbox: its own PID, network and mount namespaces, then no privileges.

Used by ``_snippet_forkserver.py`` inside bubblewrap (see ``snippet_engine/sandbox.py``), which
leaves the fork server capabilities in the sandbox's own user namespace, and no more. Each run
becomes two processes below the fork server::

    init     the server's child, PID 1 of the run's own PID namespace; it unshares network, mount
             and IPC namespaces, brings up loopback, mounts a fresh /proc, /tmp and /dev/shm (the
             run's working folder stays where it was, read-only), and reaps; when the snippet ends
             it exits, and the kernel kills whatever the snippet left before init's end is seen
    snippet  PID 2, with every capability dropped and no way to gain one: plain ``python name.py``

Init reports the snippet's wait status on a pipe that the server reads when it reaps init, so the
engine sees what ``python name.py`` would give, once every process of the run has ended. The
server stops a run (the engine's timeout) by killing init, which ends its whole namespace; should
the server end, bubblewrap's own PID namespace ends, and every run's with it.

Pure standard library and ``ctypes`` (``os.unshare`` is 3.12+): one code path on every version.
"""

import contextlib
import ctypes
import fcntl
import os
import re
import signal
import socket
import struct
from collections.abc import Callable

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWPID = 0x00020000, 0x08000000, 0x40000000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND = 0x1, 0x2, 0x4, 0x8, 0x20, 0x1000
MS_REC, MS_PRIVATE = 0x4000, 0x40000
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 24, 38, 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
SIOCSIFFLAGS, IFF_UP, IFF_LOOPBACK, IFF_RUNNING = 0x8914, 0x1, 0x8, 0x40
_CAPABILITY_VERSION_3 = 0x20080522

_libc = ctypes.CDLL(None, use_errno=True)
_STATUS = struct.Struct("<i")


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _prctl(option: int, arg: int = 0, arg3: int = 0) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(arg), ctypes.c_ulong(arg3), 0, 0), f"prctl({option})")


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    encoded = (source.encode(), target.encode(), fstype and fstype.encode(), ctypes.c_ulong(flags))
    _check(_libc.mount(*encoded, data and data.encode()), f"mount {target}")


def _fresh_tmp(workdir: str) -> None:
    """A private /tmp and /dev/shm for this run, with ``workdir`` (in /dev/shm, maybe) back in place, read-only.

    So are the folders the sandbox showed below /tmp (the checkout, the engine, a virtual environment,
    when a clone lies there): a run sees the same machine as the fork server, less its /tmp.
    """
    shown = sorted({*_below_tmp, workdir}, key=len)
    kept = {path: os.open(path, os.O_PATH | os.O_DIRECTORY) for path in shown}
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
    _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
    for path, fd in kept.items():
        os.makedirs(path, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND)
        _mount("none", path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.close(fd)


def _mounts_below_tmp() -> list[str]:
    with open("/proc/self/mountinfo", encoding="utf-8") as mounts:
        points = [line.split()[4] for line in mounts]
    decoded = [re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), point) for point in points]
    return [point for point in decoded if point.startswith("/tmp/")]


def bring_up_loopback() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", IFF_UP | IFF_LOOPBACK | IFF_RUNNING))


def drop_privileges() -> None:
    """Every capability gone (bounding, ambient, effective, permitted, inheritable), none to be had again."""
    for cap in range(_last_cap + 1):
        _prctl(PR_CAPBSET_DROP, cap)
    _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    header = (ctypes.c_uint32 * 2)(_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # two zeroed {effective, permitted, inheritable}
    _check(_libc.capset(header, data), "capset")
    _prctl(PR_SET_NO_NEW_PRIVS, 1)


_own_pid_namespace = -1  # the fork server's, to go back to after forking each run's init
# What every run needs to know of the sandbox, read once by the server, not again by each run.
_below_tmp: list[str] = []  # the mounts below /tmp (the checkout, the engine ...), put back in each run's /tmp
_last_cap = -1  # the highest capability number of this kernel


def _read_once() -> None:
    global _own_pid_namespace, _last_cap
    _own_pid_namespace = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
    _below_tmp.extend(_mounts_below_tmp())
    with open("/proc/sys/kernel/cap_last_cap") as last:
        _last_cap = int(last.read())


def fork_run(workdir: str, keep_fds: tuple[int, ...], forget: Callable[[], None]) -> tuple[int, int]:
    """Fork a run's init, PID 1 of a new PID namespace, which forks the snippet.

    In the fork server: (init's PID, the pipe on which init reports the snippet's wait status: see
    :func:`exit_code`). In the snippet process: (0, -1). Init never returns. ``keep_fds``: the run's
    recorder pipe, stdout and stderr, closed in init so the engine's pipes end with the snippet;
    ``forget``: closes in init (and so in the snippet) what the fork server keeps for itself.
    """
    if _own_pid_namespace < 0:
        _read_once()
    status_read, status_write = os.pipe()
    _check(_libc.unshare(CLONE_NEWPID), "unshare")  # the next child is PID 1 of a new namespace
    try:
        pid = os.fork()
    finally:
        if os.getpid() != 1:  # in the server: its next child is its own again
            _check(_libc.setns(_own_pid_namespace, CLONE_NEWPID), "setns")
    if pid:
        os.close(status_write)
        return pid, status_read
    try:
        forget()
        _close_all_but({0, 1, 2, *keep_fds, status_write})  # other runs' pipes too, so the snippet's are its own
        _init(workdir, keep_fds, status_write)
    except BaseException as error:  # the engine's fault, not the snippet's: say so on the run's stderr
        os.write(keep_fds[2], f"snippet sandbox: could not seal the run: {error!r}\n".encode())
        os._exit(70)
    return 0, -1  # only the snippet process gets here


def _close_all_but(keep: set[int]) -> None:
    for fd in map(int, os.listdir("/proc/self/fd")):
        if fd not in keep:
            with contextlib.suppress(OSError):  # the listing's own, closed by now
                os.close(fd)


def exit_code(status_read: int, init_exit_code: int) -> int:
    """The run's exit code, as ``python name.py``'s: the snippet's, or init's if it ended first (killed)."""
    try:
        os.set_blocking(status_read, False)
        status = os.read(status_read, _STATUS.size)
    except BlockingIOError:
        status = b""
    finally:
        os.close(status_read)
    return os.waitstatus_to_exitcode(_STATUS.unpack(status)[0]) if len(status) == _STATUS.size else init_exit_code


def _init(workdir: str, keep_fds: tuple[int, ...], status_write: int) -> None:
    _check(_libc.unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC), "unshare")
    _mount("none", "/", None, MS_REC | MS_PRIVATE)
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _fresh_tmp(workdir)
    bring_up_loopback()
    snippet = os.fork()
    if snippet == 0:
        os.close(status_write)
        os.setsid()  # its own session and group, as the engine starts a fresh `python name.py`
        drop_privileges()
        return
    for fd in keep_fds:
        os.close(fd)
    for number in range(1, signal.NSIG):  # PID 1 ignores what it does not handle; say so plainly
        if number not in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD):
            with contextlib.suppress(OSError, ValueError):
                signal.signal(number, signal.SIG_IGN)
    while True:
        pid, status = os.waitpid(-1, 0)
        if pid == snippet:
            os.write(status_write, _STATUS.pack(status))
            os._exit(0)  # the kernel now kills every process left in the run's namespace, then init ends
