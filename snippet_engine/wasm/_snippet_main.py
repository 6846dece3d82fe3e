"""``python name.py``, in Pyodide: the sample as ``__main__``, the engine's recorder around it.

Imported once, into the snapshot that every run starts from (``batch.mjs``); :func:`run` is each run.
"""

import asyncio.tasks
import os
import sys
import time
import traceback

import _snippet_recorder

if not hasattr(asyncio.tasks, "_set_task_name"):
    # Pyodide 314.0.7's event loop still calls this, which Python 3.14 removed: a task factory and a
    # task's name (create_task(name=...)) together raised AttributeError. As 3.13 had it.
    def _set_task_name(task, name):
        if name is not None:
            task.set_name(name)

    asyncio.tasks._set_task_name = _set_task_name


def _blocking_sleep(seconds):
    """``time.sleep()`` as CPython's: it holds the thread, and with it the event loop. (Pyodide's own, with
    stack switching, lets the web loop run other callbacks meanwhile: a sample showing a blocked loop
    would show the opposite.) Atomics.wait blocks a worker without using the CPU."""
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    import js

    cell = js.Int32Array.new(js.SharedArrayBuffer.new(4))
    js.Atomics.wait(cell, 0, 0, seconds * 1000)


def run(path, tasks_path):
    """Run the sample at ``path`` as ``python path`` would; its exit code. Tasks are recorded in ``tasks_path``."""
    folder = os.path.dirname(path)
    os.chdir(folder)
    sys.argv = [path]
    sys.path[0:0] = [folder]
    with open(path, "rb") as file:
        code = compile(file.read(), path, "exec")
    namespace = {"__name__": "__main__", "__file__": path, "__builtins__": __builtins__, "__cached__": None}
    time.sleep = _blocking_sleep
    _snippet_recorder.install(os.open(tasks_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC))
    try:
        exec(code, namespace)
    except SystemExit as end:
        return _exit_code(end.code)
    except BaseException as error:  # as the interpreter prints it: from the sample's own frame on
        traceback.print_exception(type(error), error, error.__traceback__.tb_next)
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return 0


def _exit_code(code):
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1
