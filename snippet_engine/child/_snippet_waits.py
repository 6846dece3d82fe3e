"""How long a snippet's run waited for a CPU, in ways that delayed what it prints now.

On a busy machine a line comes late by about the time its run waited for a CPU. The recorder
(``_snippet_recorder.py``) sends that wait with every line and task event, and the engine does
not count it against the snippet. Linux tells each thread's wait (the second field of
``/proc/<pid>/task/<tid>/schedstat``); elsewhere (macOS) every wait reads 0, and lateness is
measured, not explained.

Only waits that delayed the line count, or a real slowdown would be explained away:

- **an event loop's thread:** a wait is followed from callback to callback (:func:`follow_event_loops`),
  and a wait the loop absorbed by falling idle until a timer was due is dropped;
- **other threads and processes of the run:** the longest wait of any one of them, not their sum
  (see :func:`queue_wait`).

Standard library only: it runs inside every snippet's process.
"""

import asyncio.events
import mmap
import os
import selectors
import struct
import threading
import time

import _snippet_inline

_REPORT = struct.Struct("<qd")  # pid, its CPU queue wait: one slot of the table below
_REPORT_SLOTS = 64
_reports = None  # memory shared with the processes forked from the snippet's, made by install()
_main_pid = None
_at_start = {}  # thread id -> its CPU queue wait when the clock started
_children = []
_seen = {}  # pid -> the CPU queue wait last seen of a process the run started
_open = {}  # /proc path -> its open file descriptor
_schedstat = {}  # (pid, thread id) -> the thread's /proc schedstat path
_contexts = {}  # thread id -> (wait that delayed its current callback, its own wait when the callback started)
_scheduled = {}  # id() of a callback not yet run -> (thread id, wait that delayed it, own wait then, idle count then)
_idle = {}  # thread id -> (times its event loop fell idle, its own wait the last time)
_thread_id = getattr(threading, "get_native_id", threading.get_ident)  # /proc's thread id; Pyodide has neither

# Rebuilt once from asyncio's and selectors' own source, here rather than per run: a fork server
# imports this module before it forks, so no run pays for it (see _snippet_inline.py).
_HANDLE_INIT = _snippet_inline.prepare(asyncio.events.Handle.__init__)
_SELECT = _snippet_inline.prepare(selectors.DefaultSelector.select)


def install():
    """Count this process's waits from :func:`start_clock` on; processes it forks report theirs to it."""
    global _main_pid, _reports
    _main_pid = os.getpid()
    _reports = mmap.mmap(-1, _REPORT.size * _REPORT_SLOTS)  # shared: forked processes write, this one reads


def start_clock():
    """Time 0 (``time.monotonic()``), taken between two readings of the CPU waits that agree: a wait
    before it is not the run's, one after it is, and none falls between the two. (Read only after the
    clock, a preemption right there went uncounted: a task created 0.077 s late, with no wait to
    explain it.)"""
    _at_start.clear()
    for followed in (_contexts, _scheduled, _idle):  # waits are counted from the new time 0
        followed.clear()
    for _ in range(10):  # waits that keep coming between the readings: the last are counted as the run's
        try:
            before = _thread_waits(os.getpid(), [])
        except OSError:  # no /proc (macOS): no wait is counted
            return time.monotonic()
        start = time.monotonic()
        if _thread_waits(os.getpid(), []) == before:
            break
    _at_start.update(before)
    return start


def queue_wait():
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
    tid = _thread_id()
    own = _carried(tid, threads.pop(tid, 0.0))
    return own + max([*threads.values(), *_seen.values()], default=0.0)


def report_own_wait():
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


def after_fork():
    """In a forked child: the parent's threads' /proc files are not its own."""
    for fd in _open.values():
        os.close(fd)
    _open.clear()


def follow_event_loops():
    """Follow each thread's CPU waits through its event loop's callbacks, to count only waits that delayed them.

    A callback is delayed by what delayed the code that scheduled it, and by its thread's waits from
    then until it runs, with one exception: a loop that falls idle (blocks in ``select`` with a
    timeout) until a timer is due has absorbed the waits before, since the timer comes when it is due
    whatever came before. So ``await asyncio.sleep(1)``, then CPU work that waits 0.2 s for a CPU,
    then the loop idle until 1 s: the line printed then was delayed by none of that 0.2 s. (Counted,
    it took a line at 1.00 s as at 0.80 s, and a real 0.2 s slowdown passed unseen.) And a timer is
    delayed by no more than it came late: waits before it was due did not delay it, unless they
    delayed the code that set it.

    Patches ``Handle.__init__`` and the default selector's ``select``; the recorder calls
    :func:`entering` as each callback starts.
    """
    _snippet_inline.patch(asyncio.events.Handle, "__init__", _scheduling, prepared=_HANDLE_INIT)
    _snippet_inline.patch(selectors.DefaultSelector, "select", _selecting, prepared=_SELECT)


def _scheduling(handle, *_args, **_kwargs):
    """As ``handle`` is made: what delayed the code that schedules it."""
    tid = _thread_id()
    delayed, since = _contexts.get(tid, (0.0, 0.0))
    if isinstance(handle, asyncio.events.TimerHandle):  # its due time is set now: the wait so far set it late
        try:
            waited = _own_wait(tid)
        except OSError:
            return
        delayed, since = delayed + max(0.0, waited - since), waited
    _scheduled[id(handle)] = (tid, delayed, since, _idle.get(tid, (0, 0.0))[0])


def entering(handle):
    """Before ``handle`` runs: what delayed it, as its thread's context. Returns ``handle``."""
    tid = _thread_id()
    scheduled = _scheduled.pop(id(handle), None)
    try:
        waited = _own_wait(tid)
    except OSError:
        return handle
    if scheduled is None or scheduled[0] != tid:
        # From another thread (a worker's result, through call_soon_threadsafe): what it waited for was
        # started by this thread, so this thread's waits since its last callback began all count, idle
        # or not (the other thread's own waits count as another's, in queue_wait).
        delayed, since = _contexts.get(tid, (0.0, 0.0))
    else:
        _, delayed, since, idle_then = scheduled
        idle_count, idle_since = _idle.get(tid, (0, 0.0))
        if idle_count > idle_then:  # the loop fell idle since: the waits before are absorbed
            since = max(since, idle_since)
    late_by = max(0.0, waited - since)
    if isinstance(handle, asyncio.events.TimerHandle):
        late_by = min(late_by, max(0.0, handle._loop.time() - handle._when))
    _contexts[tid] = (delayed + late_by, waited)
    return handle


def _selecting(selector, timeout=None):
    """As an event loop's selector is asked to wait: with a timeout, the loop is idle until then."""
    if timeout is not None and timeout <= 0:
        return
    loop = asyncio.events._get_running_loop()
    if loop is None or getattr(loop, "_selector", None) is not selector:
        return  # not an event loop's (subprocess.run's, say): a wait for something else
    tid = _thread_id()
    try:
        _idle[tid] = (_idle.get(tid, (0, 0.0))[0] + 1, _own_wait(tid))
    except OSError:
        return


def _own_wait(tid):
    """Seconds thread ``tid`` of this process has waited for a CPU since the clock started; OSError without /proc."""
    return _wait_of(os.getpid(), tid)


def _wait_of(pid, tid):
    """Seconds thread ``tid`` of process ``pid`` has waited for a CPU: since the clock started in the
    snippet's process, since it began in another. OSError, IndexError or ValueError if it cannot be read."""
    path = _schedstat.get((pid, tid))
    if path is None:
        path = _schedstat[pid, tid] = f"/proc/{pid}/task/{tid}/schedstat"
    waited = int(_read(path).split()[1]) / 1e9
    return waited - _at_start.get(tid, 0.0) if pid == _main_pid else waited


def _carried(tid, waited):
    """Of ``waited``, thread ``tid``'s wait since the clock started, how much delays what it runs now.

    All of it, unless the thread runs an event loop's callback: then the wait that delayed the
    callback (see :func:`follow_event_loops`) and the thread's wait since the callback started."""
    delayed, since = _contexts.get(tid, (0.0, 0.0))
    return delayed + max(0.0, waited - since)


def _thread_waits(pid, children):
    """The CPU queue wait of each thread of a process since the clock started, in seconds, by thread
    id; appends the process's children's pids to ``children``."""
    waits = {}
    for tid in map(int, os.listdir(f"/proc/{pid}/task")):
        try:
            waits[tid] = _wait_of(pid, tid)
            children.extend(map(int, _read(f"/proc/{pid}/task/{tid}/children").split()))
        except (OSError, IndexError, ValueError):
            waits.pop(tid, None)  # a thread that just ended
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
