"""End a fork-served run as ``python name.py`` ends, without tearing down what the fork server made.

At exit, Python clears every module and frees every object. In a process forked from the warm
fork server, that writes to nearly every memory page it shares with the server, so the kernel
copies each one first: about a third of the CPU a short run costs (``benchmarks/run_cost.py``).

What anyone could see of a shutdown comes from the steps Python takes before that teardown, or
from finalizers of objects the run made. So the fork server takes those steps, in the order of
CPython's ``Py_FinalizeEx`` (3.11-3.13): wait for non-daemon threads (``threading._shutdown``),
run the ``atexit`` functions, flush ``sys.stdout`` and ``sys.stderr`` (:func:`flushed`), collect
garbage (:func:`collect`). Then, if no object the run made is left that could do something when
freed (:func:`left_to_finalize`: anything with a ``__del__``, such as a generator or coroutine not
run to its end, a pending task, an open file; or a weak reference with a callback of the run's),
the process ends at once (:func:`quick_exit`). Otherwise ``Py_Exit`` runs Python's own shutdown,
whose first steps then find nothing left to do, as if this module did not exist.

The run's objects are those the garbage collector tracks: the server's, and the run's own set-up,
are frozen (``gc.freeze()``) before the snippet starts, and ``gc.get_objects()`` does not list
frozen ones. A file that was closed, a coroutine that ran to its end, a task that is done and
whose exception was retrieved, a closed event loop: their finalizers have nothing left to do, and
are not counted. ``tests/test_engine.py`` runs a snippet for each kind of shutdown output both ways.
"""

import asyncio
import gc
import io
import os
import sys
import types
import weakref


def flushed() -> bool:
    """Flush ``sys.stdout`` and ``sys.stderr`` as Python's shutdown does; False if one failed
    (Python's own shutdown then says how, and exits with 120)."""
    try:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
    except BaseException:
        return False
    return True


def collect() -> None:
    """Collect garbage, as Python's shutdown does before its teardown: finalizers of cycles run here."""
    if gc.isenabled():
        gc.collect()


def quick_exit(code: int) -> None:
    """End now, with ``code``: what was printed since the last flush goes out first."""
    flushed()
    os._exit(code)


# Callbacks of weak references that only drop an entry from a container: what Python's own
# classes register (ABC caches, thread-locals, weak sets and dictionaries). Any other callback
# could be the run's code, so Python's own shutdown runs it.
_BOOKKEEPING = {
    ("builtin_function_or_method", "ReferenceType._destroy"),  # abc's caches
    ("builtin_function_or_method", "ReferenceType._localdummy_destroyed"),  # threading.local, 3.11-3.12
    ("builtin_function_or_method", "tuple.clear_locals"),  # threading.local, 3.13
    ("function", "WeakSet.__init__.<locals>._remove"),
    ("function", "WeakValueDictionary.__init__.<locals>.remove"),
    ("function", "WeakKeyDictionary.__init__.<locals>.remove"),
}


def left_to_finalize() -> bool:
    """Whether Python's teardown could still run code: a finalizer, or a weak reference's callback."""
    for obj in gc.get_objects():
        kind = type(obj)
        if getattr(kind, "__del__", None) is not None:
            if not _finished(obj, kind):
                return True
        elif isinstance(obj, weakref.ref) and not _bookkeeping(obj.__callback__):
            return True
    return False


def _bookkeeping(callback: object) -> bool:
    return callback is None or (type(callback).__name__, getattr(callback, "__qualname__", None)) in _BOOKKEEPING


_FILES = (io.FileIO, io.BufferedReader, io.BufferedWriter, io.BufferedRandom, io.TextIOWrapper)
_FUTURES = (asyncio.Future.__del__, asyncio.Task.__del__)


def _finished(obj: object, kind: type) -> bool:
    """Whether ``obj``, one of Python's own with a finalizer, has nothing left for it to do."""
    if kind in _FILES:
        return obj.closed  # flushed and closed: its finalizer does nothing
    if kind is types.CoroutineType:
        return obj.cr_frame is None  # run to its end (else: "never awaited", or its finally blocks)
    if kind is types.GeneratorType:
        return obj.gi_frame is None
    if kind is types.AsyncGeneratorType:
        return obj.ag_frame is None
    if isinstance(obj, asyncio.BaseEventLoop) and kind.__del__ is asyncio.BaseEventLoop.__del__:
        return obj.is_closed()  # else: an "unclosed event loop" warning
    if isinstance(obj, asyncio.Future) and kind.__del__ in _FUTURES:  # asyncio's, or the recorder's Task
        return obj.done() and not obj._log_traceback  # else "never retrieved", or "destroyed but pending"
    return False
