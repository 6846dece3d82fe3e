"""The recorder, installed in every snippet's process before the snippet's code runs.

It never changes what the snippet prints: it replaces ``sys.stdout`` and ``sys.stderr``
with streams that send each write, stamped with the time since start, to the engine
over one pipe, so stdout and stderr keep their true order. It also records every
asyncio task (created, finished and how) for the timelines. The snippet file itself
stays plain Python.
"""

import io
import json
import os
import struct
import sys
import threading
import time

_FD = -1  # the engine's pipe, set by install()
_HEADER = struct.Struct("<dBI")  # seconds since start, channel, payload length
_CHUNK = 4000  # below PIPE_BUF, so each os.write is atomic even across threads
STDOUT, STDERR, TASK, START = 1, 2, 3, 4

_lock = threading.Lock()
_start = time.monotonic()


def _send(channel, payload, now=None):
    if now is None:
        now = time.monotonic() - _start
    with _lock:
        for i in range(0, max(len(payload), 1), _CHUNK):
            chunk = payload[i : i + _CHUNK]
            os.write(_FD, _HEADER.pack(now, channel, len(chunk)) + chunk)


class _RecordedStream(io.TextIOBase):
    """A text stream whose writes go to the engine, tagged with their channel."""

    def __init__(self, original, channel):
        self._original = original
        self._channel = channel

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        _send(self._channel, text.encode("utf-8", "backslashreplace"))
        return len(text)

    def writable(self):
        return True

    def isatty(self):
        return False

    @property
    def encoding(self):
        return "utf-8"

    @property
    def errors(self):
        return "backslashreplace"

    def fileno(self):
        return self._original.fileno()

    @property
    def buffer(self):
        return self._original.buffer


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
        _send(TASK, json.dumps({"id": task._engine_id, "event": how, "name": task.get_name()}).encode())

    class Task(base):
        # Same name as asyncio's, so reprs and tracebacks read exactly as without us.
        def __init__(self, coro, *args, **kwargs):
            created = time.monotonic() - _start
            described = _describe_coro(coro)  # before an eager start runs its first step
            super().__init__(coro, *args, **kwargs)
            code = getattr(coro, "cr_code", None)
            if code is not None and code.co_filename.startswith(asyncio_dir):
                return  # asyncio's own housekeeping (shutting down the loop), not the snippet's
            self._engine_id = next(counter)
            event = {"id": self._engine_id, "event": "created", "name": self.get_name(), "coro": described}
            _send(TASK, json.dumps(event).encode(), now=created)
            if self.done():  # an eager task (3.12+) can finish within its first step, right here
                finished(self)

    Task.__qualname__ = base.__qualname__
    Task.__module__ = base.__module__
    asyncio.tasks.Task = asyncio.Task = Task

    # A task is finished when the step that finished it returns. (Not a done-callback: that runs
    # only when the loop gets to it, maybe much later, and it would show in the task's repr.)
    run_handle = asyncio.events.Handle._run

    def _run(handle):
        run_handle(handle)
        task = getattr(handle._callback, "__self__", None)  # a task's step or wake-up
        if isinstance(task, Task) and task.done() and hasattr(task, "_engine_id"):
            finished(task)

    asyncio.events.Handle._run = _run
    if hasattr(asyncio.tasks, "create_eager_task_factory"):  # 3.12+
        factory = asyncio.tasks.create_eager_task_factory(Task)
        asyncio.tasks.eager_task_factory = asyncio.eager_task_factory = factory


def install(fd):
    """Record from now on, to the engine's pipe ``fd``; the snippet's clock starts here."""
    global _FD, _start
    _FD = fd
    _record_tasks()
    sys.stdout = _RecordedStream(sys.stdout, STDOUT)
    sys.stderr = _RecordedStream(sys.stderr, STDERR)
    _start = time.monotonic()  # after our own set-up
    _send(START, struct.pack("<d", _start))
