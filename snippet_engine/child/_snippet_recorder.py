"""The recorder, installed in every snippet's process before the snippet's code runs.

It never changes what the snippet prints. ``sys.stdout`` and ``sys.stderr`` stay text
streams on file descriptors 1 and 2, like ``python -u`` gives (``reconfigure``, ``buffer``
and ``fileno`` work), but each write goes out as one *frame*: a marker, the time since
start, the CPU queue wait so far, the stream, and the bytes. The engine gives 1 and 2 one
pipe, as a terminal would, so frames and everything else written there (by ``os.write``, a
child process, the interpreter at shutdown) arrive in the order they were written. A frame
is at most ``PIPE_BUF`` bytes, so no other writer can cut into it.

The CPU queue wait is how long the run waited for a CPU in ways that delayed the line: on a
busy machine a line comes late by about that much, and the engine does not count it against the
snippet (``_snippet_waits.py``).

It also records every asyncio task (created, finished and how) for the timelines, on a
pipe of its own. The snippet file itself stays plain Python.
"""

import asyncio.events
import io
import json
import os
import struct
import sys
import threading
import time

import _snippet_inline
import _snippet_waits
from _snippet_wire import FRAME, MARK, START, TASK, TASK_HEADER

_CHUNK = 4000  # payload per frame: with the header, below PIPE_BUF (4096), so each write is atomic
_NAME_LIMIT = 150  # characters of a task's name or coroutine: keeps each task message below PIPE_BUF

_task_fd = -1  # the engine's task pipe, set by install()
_lock = threading.Lock()
_start = time.monotonic()
_HANDLE_RUN = _snippet_inline.prepare(asyncio.events.Handle._run, after=True)  # once, before a fork server forks


def _stamp():
    """(seconds since start, CPU queue wait until then): the wait is read first, so a wait that comes
    between the two readings only makes the time late, never takes the time below the true one."""
    waited = _snippet_waits.queue_wait()
    return time.monotonic() - _start, waited


def _after_fork():
    global _lock
    _lock = threading.Lock()  # a fork taken while another thread wrote must not inherit a held lock
    _snippet_waits.after_fork()


class _FramedWriter(io.RawIOBase):
    """File descriptor 1 or 2, where each write becomes one or more frames."""

    def __init__(self, fd, name):
        super().__init__()
        self._fd = fd
        self.name = name
        self.mode = "wb"

    def write(self, data):
        data = bytes(data)
        now, waited = _stamp()
        with _lock:
            for i in range(0, len(data), _CHUNK):
                chunk = data[i : i + _CHUNK]
                os.write(self._fd, MARK + FRAME.pack(now, waited, self._fd, len(chunk)) + chunk)
        return len(data)

    def writable(self):
        return True

    def fileno(self):
        return self._fd

    def isatty(self):
        return False

    def flush(self):
        super().flush()
        _snippet_waits.report_own_wait()

    def close(self):
        self.flush()
        super().close()  # like sys.stdout's own file object: the descriptor stays open


def _framed_stream(original, fd):
    """A text stream like ``original`` (``python -u``: write-through), writing frames to ``fd``."""
    return io.TextIOWrapper(
        _FramedWriter(fd, getattr(original, "name", f"<fd {fd}>")),
        encoding=original.encoding,
        errors=original.errors,
        line_buffering=original.line_buffering,
        write_through=True,
    )


def _send_task(kind, payload, now=None, waited=None):
    if now is None:
        now, waited = _stamp()
    with _lock:
        os.write(_task_fd, TASK_HEADER.pack(now, waited, kind, len(payload)) + payload)


def _short(text):
    return text if len(text) <= _NAME_LIMIT else text[: _NAME_LIMIT - 3] + "..."


def _describe_coro(coro):
    """``fetch('A')`` for a coroutine that has not started yet: its name and arguments."""
    name = getattr(coro, "__qualname__", None) or type(coro).__name__
    frame = getattr(coro, "cr_frame", None)
    if frame is None:
        return f"{name}()"
    code = frame.f_code
    argnames = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    args = []
    for argname in argnames:
        value = frame.f_locals.get(argname)
        text = repr(value)
        if text.startswith("<"):  # <__main__.Account object at 0x...>: the type says enough
            text = f"<{type(value).__name__}>"
        args.append(text if len(text) <= 20 else text[:17] + "...")
    return f"{name}({', '.join(args)})"


def _record_tasks():
    import asyncio
    import asyncio.events
    import asyncio.tasks

    base = asyncio.tasks.Task
    asyncio_dir = os.path.dirname(asyncio.__file__)
    counter = iter(range(1, 1 << 30))

    def finished(task):
        if getattr(task, "_engine_reported", False):
            return
        task._engine_reported = True
        if task.cancelled():
            how = "cancelled"
        elif task._exception is not None:  # not .exception(): that would mark it retrieved
            how = "failed"
        else:
            how = "done"
        # The name again: asyncio.create_task(name=...) and set_name() name a task after creating it.
        event = {"id": task._engine_id, "event": how, "name": _short(task.get_name())}
        _send_task(TASK, json.dumps(event).encode())

    def recording(original):
        """A subclass of the task class ``original`` that records each task it makes, named as it is."""

        class Task(original):
            # Same name as asyncio's, so reprs and tracebacks read exactly as without us.
            def __init__(self, coro, *args, **kwargs):
                created, waited = _stamp()
                described = _describe_coro(coro)  # before an eager start runs its first step
                super().__init__(coro, *args, **kwargs)
                code = getattr(coro, "cr_code", None)
                if code is not None and code.co_filename.startswith(asyncio_dir):
                    return  # asyncio's own housekeeping (shutting down the loop), not the snippet's
                self._engine_id = next(counter)
                event = {"id": self._engine_id, "event": "created", "name": _short(self.get_name())}
                event["coro"] = _short(described)
                _send_task(TASK, json.dumps(event).encode(), now=created, waited=waited)
                if self.done():  # an eager task (3.12+) can finish within its first step, right here
                    finished(self)

        for attribute in ("__name__", "__qualname__", "__module__"):
            setattr(Task, attribute, getattr(original, attribute))
        return Task

    Task = recording(base)
    asyncio.tasks.Task = asyncio.Task = Task
    webloop = sys.modules.get("pyodide.webloop")  # in WebAssembly, Pyodide's event loop makes tasks of its own class
    if webloop is not None:
        webloop.PyodideTask = recording(webloop.PyodideTask)

    # A task is finished when the step that finished it returns. (Not a done-callback: that runs
    # only when the loop gets to it, maybe much later, and it would show in the task's repr.)
    def ran(handle):
        task = getattr(handle._callback, "__self__", None)  # a task's step or wake-up
        if isinstance(task, base) and task.done() and hasattr(task, "_engine_id"):
            finished(task)

    _snippet_waits.follow_event_loops()
    _snippet_inline.patch(asyncio.events.Handle, "_run", _snippet_waits.entering, ran, prepared=_HANDLE_RUN)
    if hasattr(asyncio.tasks, "create_eager_task_factory"):  # 3.12+
        factory = asyncio.tasks.create_eager_task_factory(Task)
        asyncio.tasks.eager_task_factory = asyncio.eager_task_factory = factory


def install(task_fd):
    """Record from now on: output on file descriptors 1 and 2, tasks on ``task_fd``; the clock starts here."""
    global _task_fd, _start
    _task_fd = task_fd
    _snippet_waits.install()
    os.register_at_fork(after_in_child=_after_fork)
    _record_tasks()
    sys.stdout = _framed_stream(sys.stdout, 1)
    sys.stderr = _framed_stream(sys.stderr, 2)
    _start = _snippet_waits.start_clock()  # after our own set-up
    _send_task(START, struct.pack("<d", _start), 0.0, 0.0)
