"""Seal one run inside the sandbox: its own PID, network and mount namespaces, then no privileges.

Used by ``_snippet_forkserver.py`` inside bubblewrap (see ``snippet_engine/sandbox.py``), which
leaves the fork server capabilities in the sandbox's own user namespace, and no more. Each run
becomes three processes::

    keeper   the fork server's child: it unshares the namespaces, and ends as the snippet ended
    init     PID 1 of the run's namespace: brings up loopback, mounts a fresh /proc, /tmp and
             /dev/shm (the run's working folder stays where it was, read-only), reaps;
             when the snippet ends it exits, and the kernel kills whatever the snippet left
    snippet  PID 2, with every capability dropped and no way to gain one: plain ``python name.py``

The snippet's wait status goes up a pipe to the keeper, which ends with the same status (exit code
or signal), so the engine sees what ``python name.py`` would give, once every process of the run has
ended. SIGTERM to the keeper (the engine's timeout) kills init, and so the whole run; should the
keeper itself die, init dies too (``PR_SET_PDEATHSIG``).

Pure standard library and ``ctypes`` (``os.unshare`` is 3.12+): one code path on every version.
"""

import contextlib
import ctypes
import fcntl
import os
import resource
import signal
import socket
import struct

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWPID = 0x00020000, 0x08000000, 0x40000000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND = 0x1, 0x2, 0x4, 0x8, 0x20, 0x1000
MS_REC, MS_PRIVATE = 0x4000, 0x40000
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 1, 24, 38, 47
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
    """A private /tmp and /dev/shm for this run, with ``workdir`` (below /tmp, maybe) back in place, read-only."""
    kept = os.open(workdir, os.O_PATH | os.O_DIRECTORY)
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
    _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
    os.makedirs(workdir, exist_ok=True)
    _mount(f"/proc/self/fd/{kept}", workdir, None, MS_BIND)
    _mount("none", workdir, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.close(kept)


def bring_up_loopback() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", IFF_UP | IFF_LOOPBACK | IFF_RUNNING))


def drop_privileges() -> None:
    """Every capability gone (bounding, ambient, effective, permitted, inheritable), none to be had again."""
    with open("/proc/sys/kernel/cap_last_cap") as last:
        last_cap = int(last.read())
    for cap in range(last_cap + 1):
        _prctl(PR_CAPBSET_DROP, cap)
    _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    header = (ctypes.c_uint32 * 2)(_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # two zeroed {effective, permitted, inheritable}
    _check(_libc.capset(header, data), "capset")
    _prctl(PR_SET_NO_NEW_PRIVS, 1)


def start_run(workdir: str, keep_fds: tuple[int, ...]) -> None:
    """Return in the sealed snippet process; the keeper and init above it never return.

    ``keep_fds``: the run's recorder pipe, stdout and stderr, closed in the keeper and init so the
    engine's pipes end when the snippet (and all it started) ends.
    """
    _check(_libc.unshare(CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC), "unshare")
    status_read, status_write = os.pipe()
    keeper_alive, keeper_gone = os.pipe()  # init reads EOF here if the keeper died before PDEATHSIG was set
    pid = os.fork()
    if pid:
        try:
            for fd in (*keep_fds, status_write, keeper_alive):
                os.close(fd)
            _keep(pid, status_read)
        finally:
            os._exit(70)  # never back into the fork server's loop
    os.close(status_read)
    os.close(keeper_gone)
    try:
        _init(workdir, keep_fds, status_write, keeper_alive)
    except BaseException as error:  # the engine's fault, not the snippet's: say so on the run's stderr
        os.write(keep_fds[2], f"snippet sandbox: could not seal the run: {error!r}\n".encode())
        os._exit(70)
    # Only the snippet process gets here.


def _keep(init: int, status_read: int) -> None:
    stopped = []

    def stop(*_: object) -> None:  # the engine's timeout (through the fork server): end the whole run
        stopped.append(True)
        os.kill(init, signal.SIGKILL)

    signal.signal(signal.SIGTERM, stop)
    data = b""
    while chunk := os.read(status_read, _STATUS.size):
        data += chunk
    # Init ends only once every process of its namespace has ended: then the run is really over.
    os.waitpid(init, 0)
    status = _STATUS.unpack(data)[0] if len(data) == _STATUS.size else None
    if stopped:
        _die(signal.SIGKILL)
    if status is None:
        os._exit(70)  # init failed before the snippet ended: an engine error, never a snippet's exit
    if os.WIFSIGNALED(status):
        _die(os.WTERMSIG(status))
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def _die(number: int) -> None:
    """End killed by signal ``number``, as the snippet was."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if number != signal.SIGKILL:
        signal.signal(number, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [number])
    os.kill(os.getpid(), number)
    os._exit(128 + number)  # a signal that does not kill (SIGCHLD ...): the shell's way to say it


def _init(workdir: str, keep_fds: tuple[int, ...], status_write: int, keeper_alive: int) -> None:
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    os.set_blocking(keeper_alive, False)
    try:
        if os.read(keeper_alive, 1) == b"":
            os._exit(0)  # the keeper is already gone: the run was stopped
    except BlockingIOError:
        pass
    os.close(keeper_alive)
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
            os._exit(0)  # the kernel now kills every process left in the run's namespace
