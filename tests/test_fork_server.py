"""A forked run is indistinguishable from `python name.py`, on every Python version checked.

The suite and the build fork each run from a warm interpreter (``child/_snippet_forkserver.py``);
``record`` writes ``.out`` files from fresh ``python name.py`` processes. Any difference between the
two would pass the build and fail the tests, or the other way round. So every case below runs both
ways on every version, all at once, and must give the same exit code, text and tasks; a few facts
of each case are also asserted outright, so that two runs wrong in the same way cannot pass.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import textwrap

import pytest

from snippet_engine.config import settings
from snippet_engine.forkserver import ForkServer
from snippet_engine.interpreters import find
from snippet_engine.run import Run, environment, run_snippet

pytestmark = pytest.mark.usefixtures("after_snippet_runs")  # it starts many processes: not while snippets are timed

CASES = {
    # How a run ends: the exit code, and what Python prints on the way out.
    "ends.py": "print('done')\n",
    "exit_code.py": "import sys\nprint('bye')\nsys.exit(3)\n",
    "exit_message.py": "raise SystemExit('bye')\n",
    "exit_in_task.py": "import asyncio\n\nasync def main():\n    raise SystemExit(4)\n\nasyncio.run(main())\n",
    "interrupted.py": "print('working')\nraise KeyboardInterrupt\n",
    "interrupted_subclass.py": "class Stop(KeyboardInterrupt):\n    pass\n\nprint('stopping')\nraise Stop\n",
    "sigint_in_loop.py": """
        import asyncio, os, signal

        async def main():
            task = asyncio.create_task(asyncio.sleep(5), name="sleeper")
            await asyncio.sleep(0.05)
            os.kill(os.getpid(), signal.SIGINT)
            await task

        asyncio.run(main())
        """,
    "terminated.py": "import os, signal\nprint('bye')\nos.kill(os.getpid(), signal.SIGTERM)\nprint('still here')\n",
    "hard_exit.py": "import os\nprint('before', flush=True)\nos._exit(7)\n",
    "traceback.py": """
        import asyncio

        async def inner():
            raise KeyError("inner")

        async def main():
            try:
                await inner()
            except KeyError as error:
                raise ValueError("outer") from error

        asyncio.run(main())
        """,
    # Code that looks at its own stack.
    "stack.py": """
        import inspect, sys, traceback, warnings

        def depth():
            frame, count = sys._getframe(), 0
            while frame:
                frame, count = frame.f_back, count + 1
            return count

        traceback.print_stack()
        print(len(inspect.stack()), depth(), sys._getframe().f_back)
        warnings.warn("two up", stacklevel=2)
        warnings.warn("three up", stacklevel=3)
        """,
    # sys.stdout's API.
    "streams.py": """
        import sys
        sys.stdout.reconfigure(line_buffering=True)
        sys.stderr.reconfigure(errors="replace")
        sys.stdout.buffer.write(b"bytes\\n")
        print(sys.stdout.isatty(), sys.stdout.fileno(), sys.stderr.fileno(), sys.stdout.encoding, sys.stdout.name)
        print(sys.stdout.line_buffering, sys.stdout.write_through, sys.stderr.errors, sys.stdin.read())
        """,
    # Signals: only the main thread may handle them.
    "signals.py": """
        import asyncio, os, signal, threading

        async def main():
            heard = asyncio.Event()
            asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, heard.set)
            os.kill(os.getpid(), signal.SIGUSR1)
            await heard.wait()
            print("heard SIGUSR1")

        signal.signal(signal.SIGUSR2, lambda *_: print("heard SIGUSR2"))
        os.kill(os.getpid(), signal.SIGUSR2)
        print(threading.current_thread() is threading.main_thread(), threading.current_thread().name)
        print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)
        asyncio.run(main())
        """,
    # What is printed at shutdown, after the snippet's code.
    "shutdown.py": """
        import atexit, sys, threading, time, __main__

        class Last:
            def __del__(self):
                print("collected at shutdown")

        async def never():
            pass

        def late():
            time.sleep(0.2)
            print("thread done after the main code")

        keep = Last()
        coroutine = never()
        threading.Thread(target=late).start()
        atexit.register(lambda: print("at exit, __file__:", hasattr(__main__, "__file__"), file=sys.stderr))
        atexit.register(print, "at exit, first registered")
        print("main code done")
        """,
    # What the script sees of itself.
    "identity.py": """
        import os, sys, threading, __main__

        print(list(vars(__main__)))
        print(__name__, __file__, __spec__, __package__, __cached__, type(__loader__).__name__, __loader__.name)
        print(sys.argv, sys.orig_argv[1:], sys.path[0], os.getcwd())
        print(os.getpid() == threading.get_native_id(), os.listdir("/proc/self/task") == [str(os.getpid())])
        print(threading.current_thread().name, threading.active_count(), sys.flags.no_user_site, sys.flags.inspect)
        """,
    # The tasks the timeline draws.
    "tasks.py": """
        import asyncio

        async def fetch(name, seconds):
            await asyncio.sleep(seconds)
            return name

        async def main():
            print(await asyncio.gather(fetch("A", 0.1), fetch("B", 0.2)))
            slow = asyncio.create_task(fetch("slow", 5), name="slow one")
            await asyncio.sleep(0.1)
            slow.cancel()

        asyncio.run(main())
        """,
}


def outcome(run: Run) -> tuple:
    return (
        run.returncode,
        run.problem,
        [(line.stream, line.text) for line in run.lines],
        [(task.name, task.coro, task.how) for task in run.tasks],
    )


@pytest.fixture(scope="module")
def both_ways(tmp_path_factory) -> dict[tuple[str, str, str], tuple]:
    """(minor version, way, case) -> outcome, for every case, every way, on every version checked.

    The ways: ``fresh`` (``python name.py``, as ``record`` runs it), ``forked`` (as checks run it,
    sealed in the sandbox when bubblewrap can start one), and ``forked unsealed`` (as checks run it
    without bubblewrap).
    """
    directory = tmp_path_factory.mktemp("fork-server")
    conf = settings()
    at_once = asyncio.Semaphore(2 * (os.cpu_count() or 1))  # text is compared, not time: no need to crowd

    async def one(minor: str, way: str, name: str, server: ForkServer | None) -> tuple:
        folder = directory / minor / way
        folder.mkdir(parents=True, exist_ok=True)
        snippet = folder / name
        snippet.write_text(textwrap.dedent(CASES[name]).lstrip())
        async with at_once:
            run = await run_snippet(
                snippet, find(minor), timeout=10, max_lines=conf.max_lines, max_bytes=conf.max_bytes, server=server
            )
        return (minor, way, name), outcome(run)

    async def everything() -> dict:
        servers = {}
        for minor in conf.pythons:
            servers[minor, "fresh"] = None
            servers[minor, "forked"] = ForkServer(find(minor), environment())
            servers[minor, "forked unsealed"] = unsealed = ForkServer(find(minor), environment())
            unsealed.sandboxed = False  # where bubblewrap is missing: another way to fork and end
        try:
            results = await asyncio.gather(
                *(one(minor, way, name, server) for (minor, way), server in servers.items() for name in CASES)
            )
        finally:
            for server in servers.values():
                if server is not None:
                    await server.close()
        return dict(results)

    # In a thread of its own: the browser tests' Playwright keeps a loop running in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, everything()).result()


def versions() -> list:
    return [pytest.param(minor, id=minor) for minor in settings().pythons]


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("way", ["forked", "forked unsealed"])
@pytest.mark.parametrize("minor", versions())
def test_a_forked_run_ends_prints_and_runs_tasks_as_python_name_py_does(both_ways, minor, way, name):
    assert both_ways[minor, way, name] == both_ways[minor, "fresh", name]


EXIT_CODES = {
    "ends.py": 0,
    "exit_code.py": 3,
    "exit_message.py": 1,
    "exit_in_task.py": 4,
    "interrupted.py": -2,  # killed by SIGINT after its shutdown, as Python ends on an uncaught ^C
    "interrupted_subclass.py": 1,  # only KeyboardInterrupt itself does that
    "sigint_in_loop.py": -2,
    "terminated.py": -15,
    "hard_exit.py": 7,
    "traceback.py": 1,
}


@pytest.mark.parametrize("minor", versions())
def test_what_both_ways_give_is_what_python_name_py_gives(both_ways, minor):
    """Facts of the cases, true of a fresh `python name.py`: a shared mistake cannot pass as a match."""
    fresh = {name: both_ways[minor, "fresh", name] for name in CASES}
    assert {name: fresh[name][0] for name in EXIT_CODES} == EXIT_CODES
    texts = {name: [text for _, text in result[2]] for name, result in fresh.items()}
    assert texts["exit_message.py"] == ["bye"]
    assert texts["stack.py"][:2] == ['  File "/path/to/stack.py", line 9, in <module>', "    traceback.print_stack()"]
    assert texts["stack.py"][2] == "1 2 None"  # the module alone below depth()
    # Nothing is above the module's frame: a warning aimed there is blamed on `sys` (`<sys>:0` from 3.13).
    assert texts["stack.py"][3] in ("sys:1: UserWarning: two up", "<sys>:0: UserWarning: two up")
    assert texts["traceback.py"][-1] == "ValueError: outer"
    assert texts["signals.py"] == ["heard SIGUSR2", "True MainThread", "True", "heard SIGUSR1"]
    first = ["main code done", "thread done after the main code", "at exit, first registered"]
    assert texts["shutdown.py"][:3] == first
    assert "at exit, __file__: False" in texts["shutdown.py"]  # Python takes __file__ away after the script
    assert "collected at shutdown" in texts["shutdown.py"]
    keys, identity, argv, own, thread = texts["identity.py"]
    assert keys.startswith("['__name__', '__doc__', '__package__', '__loader__', '__spec__', ")
    assert identity == "__main__ /path/to/identity.py None None None SourceFileLoader __main__"
    assert argv == "['identity.py'] ['-s', '-u', 'identity.py'] /path/to /path/to"
    assert (own, thread) == ("True True", "MainThread 1 1 0")
    assert [how for _, _, how in fresh["tasks.py"][3]] == ["done", "done", "done", "cancelled"]
