"""A warm interpreter that forks one process per snippet run, so start-up is paid once per version.

Started by ``snippet_engine/forkserver.py`` as ``python -s -u _snippet_forkserver.py FD``, FD being a
``SOCK_SEQPACKET`` socket to the engine. Messages:

- engine → here: ``{"id": N, "script": "name.py", "cwd": "/tmp/..."}`` with three file
  descriptors attached: the recorder's pipe, stdout, stderr; ``{"kill": N}`` stops run N
  and everything it started;
- here → engine: ``started N PID``, then ``exited N RETURNCODE`` (negative: killed by a signal).

With ``--sandboxed`` (inside bubblewrap, see ``snippet_engine/sandbox.py``) each run is sealed in
namespaces of its own by ``_snippet_sandbox.py``; the PID is then the sandbox's, not the engine's.

The forked child runs the script as ``python name.py`` would in that folder: its own
``__main__``, ``sys.argv``, ``sys.path[0]``, traceback, exit code and shutdown. The engine
checks every snippet against output recorded from real ``python name.py`` runs, so any
difference would show up as a failing check.

One difference cannot be removed: the snippet's code runs in a frame called from this file's
frames, so code that walks the stack itself (``traceback.print_stack()``, ``inspect.stack()``,
``sys._getframe(1)``, ``warnings.warn(..., stacklevel=2)`` at module level) sees them. Python
has no way to run code without the frames that called it, short of starting a new interpreter,
which is what this server exists to avoid. Tracebacks of exceptions are not affected (they are
cut at the snippet's frame); a snippet that printed its stack would fail its forked check, since
``.out`` files come from fresh runs.
"""

import asyncio  # noqa: F401 - imported once here, before any fork: the time this saves is the point
import builtins
import contextlib
import ctypes
import gc
import importlib.machinery
import json
import os
import selectors
import signal
import socket
import sys
import types

import _snippet_recorder

PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None)


def die_with_parent() -> None:
    """Be killed when the parent ends, even killed; and end now if it already has."""
    parent = os.getppid()
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(0)


def serve(control: socket.socket, sandboxed: bool) -> None:
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so the wake-up fd hears of exits
    selector = selectors.DefaultSelector()
    selector.register(control, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    running: dict[int, tuple[int, int]] = {}  # pid -> run id, and the pipe its init reports on (or -1)

    def forget() -> None:
        """In a run's process: close what belongs to the server alone."""
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        selector.close()
        control.close()
        os.close(wake_read)
        os.close(wake_write)

    while True:
        for key, _ in selector.select():
            if key.fileobj is control:
                message, fds, _, _ = socket.recv_fds(control, 65536, 3)
                if not message:
                    return  # the engine is done
                request = json.loads(message)
                if "kill" in request:
                    stop(running, request["kill"], sandboxed)
                    continue
                if sandboxed:  # the run's init forgets; the snippet process returns here
                    pid, status_read = _snippet_sandbox.fork_run(request["cwd"], tuple(fds), forget)
                else:
                    pid, status_read = os.fork(), -1
                    if pid == 0:
                        forget()
                if pid == 0:
                    run_script(request, *fds, sandboxed=sandboxed)  # never returns: ends the process
                for fd in fds:
                    os.close(fd)
                running[pid] = request["id"], status_read
                control.send(f"started {request['id']} {pid}".encode())
            else:
                os.read(wake_read, 4096)
                reap(running, control)


def reap(running: dict[int, tuple[int, int]], control: socket.socket) -> None:
    while running:
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            return
        if pid in running:  # not a grandchild re-parented to us
            run_id, status_read = running.pop(pid)
            code = os.waitstatus_to_exitcode(status)
            if status_read >= 0:
                code = _snippet_sandbox.exit_code(status_read, code)
            control.send(f"exited {run_id} {code}".encode())


def stop(running: dict[int, tuple[int, int]], run_id: int, sandboxed: bool) -> None:
    """Kill run ``run_id`` with all it started; a run already reaped is left alone (its PID may be reused)."""
    for pid, (known, _) in running.items():
        if known == run_id:
            # Sandboxed, killing the run's init kills its whole PID namespace.
            with contextlib.suppress(ProcessLookupError):
                (os.kill if sandboxed else os.killpg)(pid, signal.SIGKILL)


def run_script(request: dict, channel: int, stdout: int, stderr: int, *, sandboxed: bool) -> None:
    if not sandboxed:  # sandboxed, the snippet process is sealed already
        die_with_parent()  # unsandboxed, a run at least ends with its server (its children may not)
        os.setsid()  # its own process group, so a timeout can stop its children too
    os.dup2(stdout, 1)
    os.dup2(stderr, 2)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)  # a fresh `python name.py` has no such descriptor
    for fd in (stdout, stderr):
        os.close(fd)
    os.chdir(request["cwd"])
    path = os.path.join(request["cwd"], request["script"])
    sys.argv = [request["script"]]
    sys.path[0] = request["cwd"]
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__builtins__ = builtins
    main.__loader__ = importlib.machinery.SourceFileLoader("__main__", path)
    main.__spec__ = main.__cached__ = None
    sys.modules["__main__"] = main
    _snippet_recorder.install(channel)
    try:
        with open(path, "rb") as source:
            code = compile(source.read(), path, "exec")
        exec(code, main.__dict__)
    except SystemExit:
        raise  # ends the process as it would have ended `python name.py`
    except BaseException as error:
        traceback = error.__traceback__.tb_next if error.__traceback__ else None
        error.with_traceback(traceback)  # without this frame: the hook prints the exception's own
        sys.excepthook(type(error), error, traceback)
        if isinstance(error, KeyboardInterrupt):
            # Python ends on an uncaught KeyboardInterrupt by killing itself with SIGINT after its
            # shutdown; it does so when the exception leaves the main module's code. Let it leave
            # ours, already reported, so the exit status and shutdown are exactly `python name.py`'s.
            sys.excepthook = lambda *_: None
            raise
        del error, traceback
        sys.exit(1)
    sys.exit(0)


if __name__ == "__main__":
    sandboxed = sys.argv[2:] == ["--sandboxed"]
    if sandboxed:
        import _snippet_sandbox

        os.environ.pop("PWD", None)  # set by bubblewrap; the snippet's environment is the engine's alone
    else:  # outside a sandbox, end with the engine even if it is killed (inside, bubblewrap sees to it)
        die_with_parent()
    # What is warm now is shared by every run, unchanged: the collector of a forked run (at its
    # shutdown, mostly) need not walk it. This halves a run's CPU time, most of it spent exiting.
    gc.freeze()
    serve(socket.socket(fileno=int(sys.argv[1])), sandboxed)
