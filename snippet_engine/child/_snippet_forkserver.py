"""A warm interpreter that forks one process per snippet run, so start-up is paid once per version.

Started by ``snippet_engine/forkserver.py`` as ``python -s -u _snippet_forkserver.py FD``, FD being a
``SOCK_SEQPACKET`` socket to the engine. Messages:

- engine → here: ``{"id": N, "script": "name.py", "cwd": "/tmp/..."}`` with three file
  descriptors attached: the recorder's pipe, stdout, stderr; ``{"kill": N}`` stops run N
  and everything it started;
- here → engine: ``started N PID``, then ``exited N RETURNCODE`` (negative: killed by a signal).

With ``--sandboxed`` (inside bubblewrap, see ``snippet_engine/sandbox.py``) each run is sealed in
namespaces of its own by ``_snippet_sandbox.py``; the PID is then the sandbox's, not the engine's.

The forked child runs the script as ``python name.py`` would in that folder, through the very C
function ``python name.py`` uses (``PyRun_SimpleFileExFlags``) and ends through ``Py_Exit``: its
own ``__main__`` (with the attributes a fresh one has, in the same order), ``sys.argv``,
``sys.orig_argv``, ``sys.path[0]``, traceback, exit code (a ``KeyboardInterrupt`` ends it by
SIGINT, as it ends ``python name.py``), and shutdown. Nothing of this server is on its stack:
each run is forked by a thread of its own that runs no Python code of ours while the snippet
runs (see :func:`launch`), and after ``fork()`` that thread is the process's only one, its main
thread. So ``traceback.print_stack()``, ``inspect.stack()``, ``sys._getframe()`` walks and
``warnings.warn(..., stacklevel=N)`` see the snippet's frames alone, as in a fresh process. What
stays different: the modules this server imported are imported already (``asyncio`` above all,
which is the point), and the garbage collector has them frozen (``gc.freeze()``). The engine
checks every snippet against output recorded from real ``python name.py`` runs, and
``tests/test_engine.py`` runs a set of tricky snippets both ways and compares them.
"""

import _thread
import asyncio  # noqa: F401 - imported once here, before any fork: the time this saves is the point
import atexit
import builtins
import collections
import contextlib
import ctypes
import gc
import importlib.machinery
import itertools
import json
import operator
import os
import selectors
import signal
import socket
import sys
import threading
import types
import warnings

import _snippet_exit
import _snippet_recorder

PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None)
_libc.fopen.restype = ctypes.c_void_p
_libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
_libc.on_exit.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
_run_file = ctypes.pythonapi.PyRun_SimpleFileExFlags  # what `python name.py` runs the file with
_run_file.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p]
_run_file.restype = ctypes.c_int
_exit = ctypes.pythonapi.Py_Exit  # Py_FinalizeEx(), then exit(): how `python name.py` ends
_exit.argtypes = [ctypes.c_int]
_current_tstate = ctypes.pythonapi.PyThreadState_Get
_current_tstate.restype = ctypes.c_void_p
_RAISE = ctypes.cast(getattr(_libc, "raise"), ctypes.c_void_p).value
_SIGNAL = ctypes.cast(_libc.signal, ctypes.c_void_p).value
_INTERPRETER_OPTIONS = sys.orig_argv[: len(sys.orig_argv) - len(sys.argv)]  # ["python", "-s", "-u"]


def _main_tstate_slot() -> int | None:
    """Where Python 3.13+ keeps its main thread's state (``_PyRuntime.main_tstate``), or None before 3.13.

    ``fork()`` from another thread makes that thread the child's main thread (``main_thread``), but
    3.13 leaves ``main_tstate`` pointing at the old main thread's state, freed in the child: finalizing
    would swap to it and crash. A forked run therefore points it at its own thread's state. The field
    follows ``main_thread`` in ``_PyRuntimeState``, so it is found as the one place where the main
    thread's id is followed by its state, and the server stops if that is not exactly one place.
    """
    if sys.version_info < (3, 13):
        return None  # finalizing uses the current thread's state
    runtime = ctypes.addressof(ctypes.c_char.in_dll(ctypes.pythonapi, "_PyRuntime"))
    words = (ctypes.c_size_t * 4096).from_address(runtime)  # _PyRuntime is far larger
    ident, tstate = _thread.get_ident(), _current_tstate()
    found = [i for i in range(len(words) - 1) if words[i] == ident and words[i + 1] == tstate]
    if len(found) != 1:
        sys.exit(
            f"snippet fork server: cannot find the main thread state of Python {sys.version.split()[0]} "
            f"(found {len(found)} places); check with fresh processes instead: SNIPPET_FRESH_PROCESSES=1"
        )
    return runtime + (found[0] + 1) * ctypes.sizeof(ctypes.c_size_t)


_MAIN_TSTATE = _main_tstate_slot()


def die_with_parent() -> None:
    """Be killed when the thread that forked this process ends, even killed; and end now if it already has."""
    parent = os.getppid()
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(0)


class Run:
    """One run, seen from the server: its process, the pipe its init reports on, and its forking thread."""

    def __init__(self, run_id: int) -> None:
        self.id, self.pid, self.status_read = run_id, 0, -1
        self.error: BaseException | None = None
        self.forked = _thread.allocate_lock()  # released by the forking thread once pid is set
        self.reaped = _thread.allocate_lock()  # released by the server once the process has ended
        self.forked.acquire()
        self.reaped.acquire()


def serve(control: socket.socket, sandboxed: bool) -> None:
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so the wake-up fd hears of exits
    selector = selectors.DefaultSelector()
    selector.register(control, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    running: dict[int, Run] = {}  # pid -> run

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
                run = launch(request, tuple(fds), forget, sandboxed)
                for fd in fds:
                    os.close(fd)
                if run.error is not None:
                    raise run.error
                running[run.pid] = run
                control.send(f"started {run.id} {run.pid}".encode())
            else:
                os.read(wake_read, 4096)
                reap(running, control)


def launch(request: dict, fds: tuple[int, int, int], forget, sandboxed: bool) -> Run:
    """Fork the run from a new thread, whose Python stack is empty while the snippet runs.

    The thread calls one C function, ``deque.extend``, over ``map`` and ``starmap`` (C too), which
    call each step :func:`steps` yields: so when a step runs the snippet, the generator is suspended
    and no frame of ours is below the snippet's. In the server the thread waits for the run to end
    (``die_with_parent`` watches the forking thread, not the process), then ends.
    """
    run = Run(request["id"])
    results: list = []  # what each step returned, for the next one
    work = map(results.append, itertools.starmap(operator.call, steps(run, request, fds, forget, sandboxed, results)))
    _thread.start_new_thread(collections.deque(maxlen=0).extend, (work,))
    run.forked.acquire()
    return run


def steps(run: Run, request: dict, fds: tuple[int, int, int], forget, sandboxed: bool, results: list):
    """The forking thread's work: fork; in the server, wait for the end; in the run, ``python name.py``."""
    try:
        with warnings.catch_warnings():  # 3.12+ warns of forking with threads: it is the point here
            warnings.simplefilter("ignore", DeprecationWarning)
            if sandboxed:  # the run's init forgets; the snippet process returns here
                run.pid, run.status_read = _snippet_sandbox.fork_run(request["cwd"], fds, forget)
            else:
                run.pid = os.fork()
                if run.pid == 0:
                    forget()
    except BaseException as error:  # in the server: fail the server, as the fork would have
        run.error = error
    if run.pid != 0 or run.error is not None:
        run.forked.release()
        run.reaped.acquire()
        return
    if _MAIN_TSTATE is not None:
        ctypes.c_void_p.from_address(_MAIN_TSTATE).value = _current_tstate()
    channel, stdout, stderr = fds
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
    sys.orig_argv = [*_INTERPRETER_OPTIONS, request["script"]]
    sys.path[0] = request["cwd"]
    _snippet_recorder.install(channel)
    # All made so far is the server's or the recorder's, none of it the run's to finalize
    # (_snippet_exit.py); its __main__ is made after, and so collected as Python collects it.
    gc.freeze()
    main = types.ModuleType("__main__")  # then as Python's start-up fills it; PyRun sets __file__ ...
    main.__annotations__ = {}
    main.__builtins__ = builtins
    main.__loader__ = importlib.machinery.BuiltinImporter
    sys.modules["__main__"] = main
    source = _libc.fopen(os.fsencode(path), b"rb")
    if not source:
        os.write(2, f"snippet fork server: cannot open {path}\n".encode())
        os._exit(70)
    del main, request, fds, run
    yield _run_file, source, os.fsencode(path), 1, None  # closes the file; on SystemExit, ends the process
    code = 0 if results[-1] == 0 else 1
    if code and sys.last_type is KeyboardInterrupt:
        # `python name.py` ends an uncaught KeyboardInterrupt by SIGINT, after its shutdown: once exit()
        # has run, with SIGINT's default action (glibc runs on_exit functions in reverse order).
        yield _libc.on_exit, _RAISE, None
        yield _libc.on_exit, _SIGNAL, None
        code = signal.SIGINT
    else:
        # Python's shutdown up to its teardown, each step called from C as Python calls it; then,
        # when nothing is left that the teardown could run, the end without it (_snippet_exit.py).
        yield (threading._shutdown,)
        yield (atexit._run_exitfuncs,)
        yield (_snippet_exit.flushed,)
        if results[-1]:
            yield (_snippet_exit.collect,)
            if not _snippet_exit.left_to_finalize():
                yield _snippet_exit.quick_exit, code
    yield _exit, code


def reap(running: dict[int, Run], control: socket.socket) -> None:
    while running:
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            return
        if pid in running:  # not a grandchild re-parented to us
            run = running.pop(pid)
            code = os.waitstatus_to_exitcode(status)
            if run.status_read >= 0:
                code = _snippet_sandbox.exit_code(run.status_read, code)
            run.reaped.release()  # its forking thread ends
            control.send(f"exited {run.id} {code}".encode())


def stop(running: dict[int, Run], run_id: int, sandboxed: bool) -> None:
    """Kill run ``run_id`` with all it started; a run already reaped is left alone (its PID may be reused)."""
    for pid, run in running.items():
        if run.id == run_id:
            # Sandboxed, killing the run's init kills its whole PID namespace.
            with contextlib.suppress(ProcessLookupError):
                (os.kill if sandboxed else os.killpg)(pid, signal.SIGKILL)


if __name__ == "__main__":
    sandboxed = sys.argv[2:] == ["--sandboxed"]
    if sandboxed:
        import _snippet_sandbox

        os.environ.pop("PWD", None)  # set by bubblewrap; the snippet's environment is the engine's alone
    else:  # outside a sandbox, end with the engine even if it is killed (inside, bubblewrap sees to it)
        die_with_parent()
    # Runs are forked with this handler: Ctrl-C raises KeyboardInterrupt, as for a `python name.py` started
    # from a terminal, also when the engine runs where SIGINT is ignored (a background job).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # What is warm now is shared by every run, unchanged: the collector of a forked run (at its
    # shutdown, mostly) need not walk it. This halves a run's CPU time, most of it spent exiting.
    gc.freeze()
    serve(socket.socket(fileno=int(sys.argv[1])), sandboxed)
