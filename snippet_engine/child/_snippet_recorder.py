"""The recorder, installed in every snippet's process before the snippet's code runs.

It never changes what the snippet prints. ``sys.stdout`` and ``sys.stderr`` stay text
streams on file descriptors 1 and 2, like ``python -u`` gives (``reconfigure``, ``buffer``
and ``fileno`` work), but each write goes out as one *frame*: a marker, the time since
start, the CPU queue wait so far, the stream, and the bytes. The engine gives 1 and 2 one
pipe, as a terminal would, so frames and everything else written there (by ``os.write``, a
child process, the interpreter at shutdown) arrive in the order they were written. A frame
is at most ``PIPE_BUF`` bytes, so no other writer can cut into it.

The CPU queue wait is how long the writing thread, and at most one other thread or process of
the run, have waited for a CPU in ways that delayed the line (Linux's
``/proc/self/task/*/schedstat``; 0 elsewhere): on a busy machine a line comes late by about that
much, and the engine does not count it against the snippet (see :func:`_queue_wait`). In an event
loop's thread a wait is followed from callback to callback, so a wait that a sleep absorbed (one
before the loop fell idle until a timer) is not counted (see :func:`_follow_waits`).

It also records every asyncio task (created, finished and how) for the timelines, on a
pipe of its own. The snippet file itself stays plain Python.
"""

import io
import json
import mmap
import os
import struct
import sys
import threading
import time

MARK = b"\x00\x1b[snippet-frame]"  # starts every frame on stdout and stderr
FRAME = struct.Struct("<ddBH")  # seconds since start, seconds of CPU queue wait, stream (1, 2), payload length
_CHUNK = 4000  # payload per frame: with the header, below PIPE_BUF (4096), so each write is atomic
_NAME_LIMIT = 150  # characters of a task's name or coroutine: keeps each task message below PIPE_BUF
TASK, START = 3, 4  # kinds of message on the task pipe
_TASK_HEADER = struct.Struct("<ddBH")  # seconds since start, CPU queue wait, kind, payload length

_task_fd = -1  # the engine's task pipe, set by install()
_lock = threading.Lock()
_start = time.monotonic()
_at_start = {}  # thread id -> its CPU queue wait when the clock started


def _queue_wait():
    """Seconds the line now written may have been delayed by the run's waits for a CPU.

    The writing thread's own wait (in an event loop's thread, only what delayed the callback now
    running: :func:`_carried`), plus the longest of any one other thread or process of the run:
    a line waits for the thread that writes it, and for what that thread waited on. Waits of
    threads and processes running side by side overlap in time, so they are not added up: a sum
    would explain away a real slowdown, and ``record`` would take times below an idle run's.
    (Waits of workers one after another are then under-counted: a line is failed, and checked
    again, rather than passed.) Linux's ``schedstat`` and ``children`` files; 0 elsewhere.
    """
    try:
        threads = _thread_waits(os.getpid(), _children)
    except OSError:
        return 0.0  # no /proc (macOS): lateness is not explained, only measured
    pending = list(_children)
    _children.clear()
    while pending:
        pid = pending.pop()
        found = []
        try:
            _seen[pid] = max(_seen.get(pid, 0.0), sum(_thread_waits(pid, found).values()))
        except OSError:
            continue  # it has ended: its last value stays in _seen
        pending.extend(found)
    if _reports is not None:  # what processes forked from this one said of themselves as they ended
        for pid, waited in _REPORT.iter_unpack(_reports):
            if pid:
                _seen[pid] = max(_seen.get(pid, 0.0), waited)
    tid = threading.get_native_id()
    own = _carried(tid, threads.pop(tid, 0.0))
    return own + max([*threads.values(), *_seen.values()], default=0.0)


def _own_wait(tid):
    """Seconds thread ``tid`` of this process has waited for a CPU since the clock started; OSError without /proc."""
    pid = os.getpid()
    path = _schedstat.get((pid, tid))
    if path is None:
        path = _schedstat[pid, tid] = f"/proc/{pid}/task/{tid}/schedstat"
    waited = int(_read(path).split()[1]) / 1e9
    return waited - _at_start.get(tid, 0.0) if pid == _main_pid else waited


def _carried(tid, waited):
    """Of ``waited``, thread ``tid``'s wait since the clock started, how much delays what it runs now.

    All of it, unless the thread runs an event loop's callback: then the wait that delayed the
    callback (see :func:`_follow_waits`) and the thread's wait since the callback started."""
    delayed, since = _contexts.get(tid, (0.0, 0.0))
    return delayed + max(0.0, waited - since)


def _follow_waits(asyncio):
    """Follow each thread's CPU waits through its event loop's callbacks, to count only waits that delayed them.

    A callback is delayed by what delayed the code that scheduled it, and by its thread's waits from
    then until it runs, with one exception: a loop that falls idle (blocks in ``select`` with a
    timeout) until a timer is due has absorbed the waits before, since the timer comes when it is due
    whatever came before. So ``await asyncio.sleep(1)``, then CPU work that waits 0.2 s for a CPU,
    then the loop idle until 1 s: the line printed then was delayed by none of that 0.2 s. (Counted,
    it took a line at 1.00 s as at 0.80 s, and a real 0.2 s slowdown passed unseen.) And a timer is
    delayed by no more than it came late: waits before it was due did not delay it, unless they
    delayed the code that set it.
    """
    import selectors

    events = asyncio.events
    make_handle = events.Handle.__init__

    def __init__(handle, *args, **kwargs):
        make_handle(handle, *args, **kwargs)
        tid = threading.get_native_id()
        delayed, since = _contexts.get(tid, (0.0, 0.0))
        if isinstance(handle, events.TimerHandle):  # its due time is set now: the wait so far set it late
            try:
                waited = _own_wait(tid)
            except OSError:
                return
            delayed, since = delayed + max(0.0, waited - since), waited
        _scheduled[id(handle)] = (tid, delayed, since, _idle.get(tid, (0, 0.0))[0])

    events.Handle.__init__ = __init__

    def enter(handle):
        """Before ``handle`` runs: what delayed it, as its thread's context."""
        tid = threading.get_native_id()
        scheduled = _scheduled.pop(id(handle), None)
        try:
            waited = _own_wait(tid)
        except OSError:
            return
        idle_count, idle_since = _idle.get(tid, (0, 0.0))
        if scheduled is None or scheduled[0] != tid:  # from another thread: its waits count as another's
            delayed, since = 0.0, idle_since
        else:
            _, delayed, since, idle_then = scheduled
            if idle_count > idle_then:  # the loop fell idle since: the waits before are absorbed
                since = max(since, idle_since)
        late_by = max(0.0, waited - since)
        if isinstance(handle, events.TimerHandle):
            late_by = min(late_by, max(0.0, handle._loop.time() - handle._when))
        _contexts[tid] = (delayed + late_by, waited)

    def watch(selector_class):
        select = selector_class.select

        def idle_select(selector, timeout=None):
            if timeout is None or timeout > 0:
                loop = events._get_running_loop()
                if loop is not None and getattr(loop, "_selector", None) is selector:
                    tid = threading.get_native_id()
                    try:
                        waited = _own_wait(tid)
                    except OSError:
                        waited = None
                    if waited is not None:
                        _idle[tid] = (_idle.get(tid, (0, 0.0))[0] + 1, waited)
            return select(selector, timeout)

        selector_class.select = idle_select

    for name in ("SelectSelector", "PollSelector", "EpollSelector", "DevpollSelector", "KqueueSelector"):
        if hasattr(selectors, name):
            watch(getattr(selectors, name))
    return enter


def _report_own_wait():
    """In a process forked from the snippet's (a ``multiprocessing`` worker, say): leave its CPU queue
    wait where the snippet's process reads it. Called on every flush of stdout and stderr, so also
    right before such a worker ends (``multiprocessing`` flushes them then), when its /proc files go."""
    pid = os.getpid()
    if _reports is None or pid == _main_pid:
        return
    try:
        waited = sum(_thread_waits(pid, []).values())
    except OSError:
        return
    _REPORT.pack_into(_reports, (pid % _REPORT_SLOTS) * _REPORT.size, pid, waited)


def _thread_waits(pid, children):
    """The CPU queue wait of each thread of a process since the clock started, in seconds, by thread
    id; appends the process's children's pids to ``children``."""
    waits = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            waited = int(_read(f"/proc/{pid}/task/{tid}/schedstat").split()[1]) / 1e9
            children.extend(map(int, _read(f"/proc/{pid}/task/{tid}/children").split()))
        except (OSError, IndexError, ValueError):
            continue  # a thread that just ended
        waits[int(tid)] = waited - _at_start.get(int(tid), 0.0) if pid == _main_pid else waited
    return waits


def _read(path):
    """A /proc file's content now; the file stays open, so a second look costs a microsecond, not 50."""
    fd = _open.get(path)
    if fd is None:
        fd = _open[path] = os.open(path, os.O_RDONLY)
    try:
        return os.pread(fd, 4096, 0)
    except OSError:
        del _open[path]
        os.close(fd)
        raise


_children = []
_seen = {}  # pid -> the CPU queue wait last seen of a process the run started
_REPORT = struct.Struct("<qd")  # pid, its CPU queue wait: one slot of the table below
_REPORT_SLOTS = 64
_reports = None  # memory shared with the processes forked from the snippet's, made by install()
_main_pid = None
_open = {}  # /proc path -> its open file descriptor
_schedstat = {}  # (pid, thread id) -> the thread's /proc schedstat path
_contexts = {}  # thread id -> (wait that delayed its current callback, its own wait when the callback started)
_scheduled = {}  # id() of a callback not yet run -> (thread id, wait that delayed it, own wait then, idle count then)
_idle = {}  # thread id -> (times its event loop fell idle, its own wait the last time)


def _stamp():
    """(seconds since start, CPU queue wait until then): the wait is read first, so a wait that comes
    between the two readings only makes the time late, never takes the time below the true one."""
    waited = _queue_wait()
    return time.monotonic() - _start, waited


def _after_fork():
    global _lock
    _lock = threading.Lock()  # a fork taken while another thread wrote must not inherit a held lock
    for fd in _open.values():
        os.close(fd)  # the parent's threads' files
    _open.clear()


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
        _report_own_wait()

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
        os.write(_task_fd, _TASK_HEADER.pack(now, waited, kind, len(payload)) + payload)


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

    class Task(base):
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

    Task.__qualname__ = base.__qualname__
    Task.__module__ = base.__module__
    asyncio.tasks.Task = asyncio.Task = Task

    # A task is finished when the step that finished it returns. (Not a done-callback: that runs
    # only when the loop gets to it, maybe much later, and it would show in the task's repr.)
    run_handle = asyncio.events.Handle._run
    enter = _follow_waits(asyncio)

    def _run(handle):
        enter(handle)
        run_handle(handle)
        task = getattr(handle._callback, "__self__", None)  # a task's step or wake-up
        if isinstance(task, Task) and task.done() and hasattr(task, "_engine_id"):
            finished(task)
        # As asyncio's own Handle._run does (`self = None`): on 3.12+ a task that failed holds this
        # frame through its traceback, so these names would keep the task alive, and delay the
        # "Task exception was never retrieved" report until the program ends.
        handle = task = None

    asyncio.events.Handle._run = _run
    if hasattr(asyncio.tasks, "create_eager_task_factory"):  # 3.12+
        factory = asyncio.tasks.create_eager_task_factory(Task)
        asyncio.tasks.eager_task_factory = asyncio.eager_task_factory = factory


def _start_the_clock():
    """Time 0, taken between two readings of the CPU waits that agree: a wait before it is not the
    run's, one after it is, and none falls between the two. (Read only after the clock, a preemption
    right there went uncounted: a task created 0.077 s late, with no wait to explain it.)"""
    global _start
    _at_start.clear()
    for followed in (_contexts, _scheduled, _idle):  # waits are counted from the new time 0
        followed.clear()
    for _ in range(10):  # waits that keep coming between the readings: the last are counted as the run's
        try:
            before = _thread_waits(os.getpid(), [])
        except OSError:  # no /proc (macOS): no wait is counted
            _start = time.monotonic()
            return
        _start = time.monotonic()
        if _thread_waits(os.getpid(), []) == before:
            break
    _at_start.update(before)


def install(task_fd):
    """Record from now on: output on file descriptors 1 and 2, tasks on ``task_fd``; the clock starts here."""
    global _task_fd, _start, _reports, _main_pid
    _task_fd = task_fd
    _main_pid = os.getpid()
    _reports = mmap.mmap(-1, _REPORT.size * _REPORT_SLOTS)  # shared: forked processes write, this one reads
    os.register_at_fork(after_in_child=_after_fork)
    _record_tasks()
    sys.stdout = _framed_stream(sys.stdout, 1)
    sys.stderr = _framed_stream(sys.stderr, 2)
    _start_the_clock()  # after our own set-up
    _send_task(START, struct.pack("<d", _start), 0.0, 0.0)
