"""The engine against bad input: each failure is caught, bounded in time, and names the file and line."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from snippet_engine import batch
from snippet_engine import run as run_module
from snippet_engine.config import settings
from snippet_engine.expected import Variant, compare, parse
from snippet_engine.fence import _output_html
from snippet_engine.forkserver import ForkServer
from snippet_engine.interpreters import Interpreter, MissingInterpreter, find
from snippet_engine.record import record_many
from snippet_engine.run import Line, Run, environment, run_snippet

PYTHON = settings().pythons[0]


def write(directory: Path, name: str, code: str, expected: str | None = None) -> Path:
    snippet = directory / name
    snippet.write_text(textwrap.dedent(code).lstrip())
    if expected is not None:
        snippet.with_suffix(".out").write_text(textwrap.dedent(expected).lstrip())
    return snippet


# Bad and tricky snippets, and the limits they run under. They all run at once (see `runs`).
SNIPPETS = {
    "broken.py": ("print('a')\ndef f(:\n    pass\n", {}),
    "raises.py": ("import asyncio\n\nasync def main():\n    raise ValueError('boom')\n\nasyncio.run(main())\n", {}),
    "endless.py": (
        "import asyncio\n\nasync def main():\n    print('started')\n    while True:\n"
        "        await asyncio.sleep(0.1)\n\nasyncio.run(main())\n",
        {"timeout": 1.5},
    ),
    "spin.py": ("while True:\n    pass\n", {"timeout": 0.5}),
    "flood.py": ("for i in range(300_000):\n    print(i)\n", {"max_lines": 2000}),
    "exits.py": ("import sys\nprint('bye')\nsys.exit(3)\n", {}),
    "html.py": ("print('<script>alert(1)</script> & <b>')\n", {}),
    "text.py": ("print('one')\nprint('two')\nprint('three')\n", {}),
    "late.py": (
        "import asyncio\n\nasync def main():\n    await asyncio.sleep(1)\n    print('after one second')\n\n"
        "asyncio.run(main())\n",
        {},
    ),
    "identity.py": (
        "import sys, warnings\n\nasync def never():\n    pass\n\n"
        "print(__name__, __file__, __spec__, __package__, sys.argv, sys.path[0], sys.stdin.read())\n"
        "coroutine = never()  # never awaited: warned about at shutdown\n"
        "warnings.warn('from __main__')\nraise SystemExit('bye')\n",
        {},
    ),
    "order.py": ("import sys\nfor i in range(200):\n    print(i, file=sys.stderr if i % 3 else sys.stdout)\n", {}),
    "interleaved.py": (
        "import os, subprocess, sys\nprint('one')\nsubprocess.run(['echo', 'two'])\nprint('three')\n"
        "os.write(1, b'four\\n')\nprint('five', file=sys.stderr)\nos.write(2, b'six\\n')\nprint('seven')\n",
        {},
    ),
    "wide.py": ("print('a' * 3999 + '\u00e9')\nprint('\u00e9' * 5000)\n", {}),
    "streams.py": (
        "import sys\nsys.stdout.reconfigure(line_buffering=True)\nsys.stdout.buffer.write(b'bytes\\n')\n"
        "print(sys.stdout.isatty(), sys.stdout.fileno(), sys.stderr.fileno(), sys.stdout.encoding, sys.stdout.name)\n",
        {},
    ),
    "norm.py": ("import asyncio, os\nprint(object())\nprint(os.getcwd())\nprint(asyncio.__file__)\n", {}),
    "tasks.py": (
        """
        import asyncio

        async def fetch(name, seconds):
            await asyncio.sleep(seconds)
            return name

        async def fail():
            await asyncio.sleep(0.2)
            raise ValueError("no")

        async def main():
            print(await asyncio.gather(fetch("A", 0.4), fetch("B", 0.8)))
            slow = asyncio.create_task(fetch("slow", 5), name="slow one")
            failing = asyncio.create_task(fail())
            await asyncio.sleep(0.4)
            slow.cancel()
            print(type(failing.exception()).__name__, repr(slow)[:18])

        asyncio.run(main())
        """,
        {},
    ),
}

# Tracebacks through asyncio's code that the recorder changes (see child/_snippet_inline.py): each must
# read exactly as `python name.py` prints it, with no frame of the engine's.
THROUGH_PATCHED_CODE = {
    "interrupted_in_a_callback.py": (  # through Handle._run
        "import asyncio, os, signal\n\nloop = asyncio.new_event_loop()\n"
        "loop.call_later(0.2, os.kill, os.getpid(), signal.SIGINT)\nloop.run_until_complete(asyncio.sleep(5))\n"
    ),
    "interrupted_while_idle.py": (  # through the selector's select(), as Ctrl-C while the loop waits
        "import asyncio, os, signal, threading\n\nloop = asyncio.new_event_loop()\n"
        "threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()\n"
        "loop.run_until_complete(asyncio.sleep(5))\n"
    ),
}
SNIPPETS.update({name: (code, {}) for name, code in THROUGH_PATCHED_CODE.items()})


# What Python's shutdown shows, each on its own (a forked run ends the quick way only when none of it
# could happen: child/_snippet_exit.py), with the line each must print in both kinds of run.
AT_SHUTDOWN = {
    "del_at_exit.py": (
        "class Noisy:\n    def __del__(self):\n        print('freed at shutdown')\n\n"
        "kept = Noisy()\nprint('main done')\n",
        "freed at shutdown",
    ),
    "generator_at_exit.py": (
        "def walk():\n    try:\n        yield 1\n    finally:\n        print('generator closed at shutdown')\n\n"
        "steps = walk()\nnext(steps)\nprint('main done')\n",
        "generator closed at shutdown",
    ),
    "coroutine_at_exit.py": (
        "async def never():\n    pass\n\ncoroutine = never()\nprint('main done')\n",
        "RuntimeWarning: coroutine 'never' was never awaited",
    ),
    "failed_task_at_exit.py": (
        "import asyncio\n\nasync def fails():\n    raise ValueError('nobody asked')\n\n"
        "loop = asyncio.new_event_loop()\ntask = loop.create_task(fails())\n"
        "loop.run_until_complete(asyncio.sleep(0.01))\nprint('main done')\n",
        "Task exception was never retrieved",
    ),
    "pending_task_at_exit.py": (
        "import asyncio\n\nasync def forever():\n    await asyncio.sleep(3600)\n\n"
        "loop = asyncio.new_event_loop()\ntask = loop.create_task(forever())\n"
        "loop.run_until_complete(asyncio.sleep(0.01))\nloop.close()\nprint('main done')\n",
        "Task was destroyed but it is pending!",
    ),
    "cycle_without_gc.py": (
        "import gc\n\nclass Node:\n    def __del__(self):\n        print('cycle freed at shutdown')\n\n"
        "gc.disable()\nnode = Node()\nnode.me = node\ndel node\nprint('main done')\n",
        "cycle freed at shutdown",
    ),
    "atexit_and_thread.py": (
        "import atexit, threading, time\n\natexit.register(print, 'atexit function')\n"
        "threading.Thread(target=lambda: (time.sleep(0.2), print('thread ended after main'))).start()\n"
        "print('main done')\n",
        "atexit function",
    ),
    "raises_at_exit.py": (
        "class Noisy:\n    def __del__(self):\n        print('freed after the traceback')\n\n"
        "kept = Noisy()\nraise RuntimeError('uncaught')\n",
        "freed after the traceback",
    ),
}
SNIPPETS.update({name: (code, {}) for name, (code, _) in AT_SHUTDOWN.items()})


@dataclass
class Ran:
    snippet: Path
    run: Run
    # Wall time from the snippet's code starting to the run's end, to show it was bounded. As the timeout
    # counts: from there, not from the start of a fresh interpreter and its sandbox, which a busy machine
    # can delay by seconds (seen: 6.0 s for the 1.5 s `endless.py`, beside `stress-ng --cpu 4`).
    seconds: float

    def problems(self, expected: str) -> str:
        """The check's messages against ``expected`` as the .out file's text."""
        self.snippet.with_suffix(".out").write_text(textwrap.dedent(expected).lstrip())
        return "\n".join(compare(self.run, parse(self.snippet.with_suffix(".out")), PYTHON, settings()))


def run_all(directory: Path) -> tuple[dict[str, Ran], dict[str, Ran]]:
    """Every snippet of SNIPPETS, all at once, twice: started afresh (as `python name.py`), and by a fork server."""
    conf = settings()

    async def one(name: str, code: str, limits: dict, server: ForkServer | None) -> Ran:
        snippet = write(directory / ("forked" if server else "fresh"), name, code)
        code_started = []
        run = await run_snippet(
            snippet, find(PYTHON), timeout=limits.get("timeout", 10),
            max_lines=limits.get("max_lines", conf.max_lines), max_bytes=conf.max_bytes, server=server,
            on_start=lambda: code_started.append(time.monotonic()),
        )  # fmt: skip
        return Ran(snippet, run, time.monotonic() - code_started[0])

    async def all_at_once() -> list[Ran]:
        server = ForkServer(find(PYTHON), environment())
        try:
            return await asyncio.gather(
                *(one(name, *case, None) for name, case in SNIPPETS.items()),
                *(one(name, *case, server) for name, case in SNIPPETS.items()),
            )
        finally:
            await server.close()

    (directory / "fresh").mkdir()
    (directory / "forked").mkdir()
    ran = asyncio.run(all_at_once())
    return dict(zip(SNIPPETS, ran[: len(SNIPPETS)], strict=True)), dict(
        zip(SNIPPETS, ran[len(SNIPPETS) :], strict=True)
    )


@pytest.fixture(scope="module")
def both_runs(tmp_path_factory) -> tuple[dict[str, Ran], dict[str, Ran]]:
    return run_all(tmp_path_factory.mktemp("bad-snippets"))


@pytest.fixture
def runs(both_runs) -> dict[str, Ran]:
    """Each snippet's run as `python name.py`."""
    return both_runs[0]


def test_forked_runs_print_exactly_what_fresh_runs_print(both_runs):
    """The suite forks snippets from a warm interpreter; only `python name.py` runs write .out files."""
    fresh_runs, forked = both_runs
    for name, fresh in fresh_runs.items():
        one, other = fresh.run, forked[name].run
        assert (one.returncode, one.problem) == (other.returncode, other.problem), name
        if name != "flood.py":  # stopped at a cap: how far it got depends on speed
            assert [(x.stream, x.text) for x in one.lines] == [(x.stream, x.text) for x in other.lines], name
        assert [(t.name, t.coro, t.how) for t in one.tasks] == [(t.name, t.coro, t.how) for t in other.tasks], name


@pytest.mark.parametrize("name", AT_SHUTDOWN)
def test_a_forked_run_ends_as_python_ends(both_runs, name):
    """What a shutdown prints (finalizers, callbacks, atexit, threads) is printed by forked runs too."""
    fresh, forked = both_runs[0][name].run, both_runs[1][name].run
    said = AT_SHUTDOWN[name][1]
    assert any(said in line.text for line in fresh.lines), [line.text for line in fresh.lines]
    assert [(x.stream, x.text) for x in forked.lines] == [(x.stream, x.text) for x in fresh.lines]
    assert forked.returncode == fresh.returncode


def test_a_script_sees_itself_as_main(runs):
    texts = [line.text for line in runs["identity.py"].run.lines]
    assert texts[0] == "__main__ /path/to/identity.py None None ['identity.py'] /path/to "
    assert "/path/to/identity.py:8: UserWarning: from __main__" in texts
    assert "bye" in texts
    assert any("RuntimeWarning: coroutine 'never' was never awaited" in text for text in texts)
    assert runs["identity.py"].run.returncode == 1


def test_syntax_error_names_file_and_line(runs):
    message = runs["broken.py"].problems("0.00 | a\n")
    assert "broken.py: exited with code 1" in message
    assert 'File "/path/to/broken.py", line 2' in message
    assert "SyntaxError" in message


def test_exception_names_file_and_line(runs):
    message = runs["raises.py"].problems("")
    assert "raises.py: exited with code 1" in message
    assert 'File "/path/to/raises.py", line 4, in main' in message
    assert "ValueError: boom" in message


def test_endless_loop_is_stopped_and_keeps_what_it_printed(runs):
    endless = runs["endless.py"]
    assert endless.seconds < 5
    assert endless.run.problem == "timed out after 1.5 s"
    assert [line.text for line in endless.run.lines] == ["started"]
    message = endless.problems("0.00 | started\n")
    assert "endless.py: timed out after 1.5 s" in message
    assert "| started" in message  # what it printed before the timeout is kept


def test_busy_loop_without_await_is_stopped(runs):
    assert runs["spin.py"].run.problem == "timed out after 0.5 s"
    assert runs["spin.py"].seconds < 5


def test_flood_of_output_is_stopped(runs):
    flood = runs["flood.py"]
    assert flood.seconds < 10
    assert flood.run.problem.startswith("printed more than 2,000 lines")
    assert flood.run.lines[0].text == "0"
    assert "flood.py: printed more than" in flood.problems("")


def test_unexpected_exit_code_fails_and_declared_one_passes(runs):
    message = runs["exits.py"].problems("0.00 | bye\n")
    assert "exits.py: exited with code 3" in message
    assert "put `# exit: 3` at the top of" in message
    assert runs["exits.py"].problems("# exit: 3\n0.00 | bye\n") == ""


def test_printed_html_is_shown_as_text(runs):
    shown = _output_html("html.py", Variant(None, runs["html.py"].run.lines), "Output")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;" in shown
    assert "<script>" not in shown
    assert "<b>" not in shown


def test_wrong_text_names_the_expected_line(runs):
    message = runs["text.py"].problems("0.00 | one\n0.00 | 2\n0.00 | three\n")
    assert "text.out:2: output differs" in message
    assert "-| 2" in message
    assert "+| two" in message


def test_late_and_early_lines_fail(runs):
    late = runs["late.py"]
    assert "late.out:1: 'after one second' appeared at 1.0" in late.problems("0.20 | after one second\n")
    assert "expected 2.00 s (allowed 1.95-2.14 s" in late.problems("2.00 | after one second\n")
    assert late.problems("1.00 | after one second\n") == ""


def test_a_wait_made_longer_by_a_fifth_of_a_second_fails(runs):
    """The slowdown the checks must always catch: the sleep is 1 s, the .out says 0.80 s."""
    message = runs["late.py"].problems("0.80 | after one second\n")
    assert "late.out:1: 'after one second' appeared at 1.0" in message
    assert "expected 0.80 s (allowed 0.75-0.92 s" in message


def test_a_late_line_is_named_by_the_time_that_was_compared(tmp_path):
    """Late by 0.2 s once its 0.12 s wait for a CPU is taken off: the message gives 1.00 s, and the 1.12 s in all."""
    snippet = write(tmp_path, "waited.py", "print('x')", expected="0.80 | x\n")
    run = Run(PYTHON, [Line(1.12, "out", "x", delay=0.12)], returncode=0)
    (message,) = compare(run, parse(snippet.with_suffix(".out")), PYTHON, settings())
    assert "waited.out:1: 'x' appeared at 1.00 s on Python" in message
    assert "expected 0.80 s (allowed 0.75-0.92 s; it also waited 0.12 s for a CPU, which does not count: " in message
    assert message.endswith("1.12 s in all)")
    early = Run(PYTHON, [Line(0.50, "out", "x", delay=0.12)], returncode=0)  # early: the time as printed
    (message,) = compare(early, parse(snippet.with_suffix(".out")), PYTHON, settings())
    assert "'x' appeared at 0.50 s on Python" in message


needs_schedstat = pytest.mark.skipif(
    not Path("/proc/self/schedstat").exists(), reason="CPU queue wait is read from Linux's /proc"
)


def run_beside_a_busy_process_on_cpu_0(snippet: Path) -> Run:
    """``snippet``'s run (it should pin itself to CPU 0), while a process outside the run keeps CPU 0 busy."""
    spin = "import os\nos.sched_setaffinity(0, {0})\nprint('spinning', flush=True)\nwhile True: pass"
    competitor = subprocess.Popen([sys.executable, "-c", spin], stdout=subprocess.PIPE, text=True)
    try:
        assert competitor.stdout.readline() == "spinning\n"  # on CPU 0 before the snippet starts
        return asyncio.run(run_snippet(snippet, find(PYTHON), timeout=10, max_lines=10, max_bytes=1000))
    finally:
        competitor.kill()
        competitor.wait()


@needs_schedstat
def test_time_spent_waiting_for_a_cpu_is_measured_and_not_counted_as_late(tmp_path):
    """A snippet that must share its CPU with a busy process outside the run: late, and the wait says why."""
    code = """
        import os, time
        os.sched_setaffinity(0, {0})
        os.write(1, b"")  # (the run's clock has started)
        spent = time.process_time()
        while time.process_time() - spent < 0.3:  # 0.3 s of CPU work, sharing CPU 0
            pass
        print("done")
    """
    snippet = write(tmp_path, "starved.py", code, expected="0.30 | done\n")
    (line,) = (run := run_beside_a_busy_process_on_cpu_0(snippet)).lines
    assert line.delay > 0.02, "sharing one CPU with a busy process, it must have waited for it"
    assert 0.25 < line.time - line.delay < 0.42, "all its lateness is the measured wait"
    conf = settings()
    assert compare(run, parse(snippet.with_suffix(".out")), PYTHON, conf) == []
    unexplained = Run(run.python, [Line(0.45, "out", "done")], returncode=0)  # as late, and no wait to say why
    assert "appeared at" in "".join(compare(unexplained, parse(snippet.with_suffix(".out")), PYTHON, conf))


@needs_schedstat
@pytest.mark.parametrize("work", [0.2, 0.6], ids=["work-done-before-the-timer", "work-makes-the-timer-late"])
def test_a_wait_that_a_sleep_absorbed_is_not_subtracted(tmp_path, work):
    """``sleep(1)``, then CPU work that waits for a busy CPU: a wait before the timer is due delays nothing.

    Idle, the line comes at 1.0 s either way (0.2 or 0.6 s of work, done before then). Beside a busy
    process, 0.2 s of work ends by about 0.4 s and the line still comes at 1.0 s: none of its wait may
    be taken off. 0.6 s of work ends at about 1.2 s, with about 0.6 s of wait: only the 0.2 s after the
    timer was due delayed the line. (Counting every wait took the lines as at 0.80 and 0.60 s, and a
    `.out` of 0.80 s, a real 0.2 s slowdown, passed.)"""
    code = f"""
        import asyncio, os, time
        os.sched_setaffinity(0, {{0}})

        async def work():
            spent = time.process_time()
            while time.process_time() - spent < {work}:  # CPU work, sharing CPU 0
                pass

        async def main():
            worker = asyncio.create_task(work())
            await asyncio.sleep(1)  # due at 1 s: set before the work starts
            print("after one second")
            await worker

        asyncio.run(main())
    """
    snippet = write(tmp_path, "absorbed.py", code, expected="1.00 | after one second\n")
    (line,) = (run := run_beside_a_busy_process_on_cpu_0(snippet)).lines
    assert line.time >= 1.0
    assert 0.98 <= line.time - line.delay <= 1.0 + settings().late, (line.time, line.delay)
    assert compare(run, parse(snippet.with_suffix(".out")), PYTHON, settings()) == []
    snippet.with_suffix(".out").write_text("0.80 | after one second\n")
    (problem,) = compare(run, parse(snippet.with_suffix(".out")), PYTHON, settings())
    assert "absorbed.out:1: 'after one second' appeared at" in problem


@needs_schedstat
def test_a_wait_that_delayed_work_handed_to_a_thread_counts(tmp_path):
    """CPU work that waits for a busy CPU, then a thread's 0.5 s: the thread starts late by that wait, so the
    line after it does too, though the loop fell idle (with no timer) between. (Dropping waits before any idle
    moment, not only before a timer, failed `process_pool_for_cpu_work.py` beside another clone's builds.)"""
    code = """
        import asyncio, os, time
        os.sched_setaffinity(0, {0})

        async def main():
            spent = time.process_time()
            while time.process_time() - spent < 0.2:  # CPU work, sharing CPU 0
                pass
            await asyncio.to_thread(time.sleep, 0.5)  # its result comes back through call_soon_threadsafe()
            print("after the thread")

        asyncio.run(main())
    """
    snippet = write(tmp_path, "handed.py", code, expected="0.70 | after the thread\n")
    (line,) = (run := run_beside_a_busy_process_on_cpu_0(snippet)).lines
    assert 0.65 <= line.time - line.delay <= 0.70 + settings().late, (line.time, line.delay)
    assert compare(run, parse(snippet.with_suffix(".out")), PYTHON, settings()) == []
    if line.delay < 0.1:  # idle, and beside other builds, it waits about 0.2 s; beside stress-ng 0.02-0.09 s
        pytest.skip(f"CPU 0 was hardly shared (a wait of {line.delay:.2f} s): no wait before the thread to count")


def test_a_timing_miss_is_checked_again_and_a_text_miss_is_not(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("SNIPPET_CACHE_DIR", str(tmp_path / "cache"))
    settings.cache_clear()
    sleeper = "import time\ntime.sleep(0.3)\nprint('{}')\n"
    try:
        slow = write(tmp_path, "slow.py", sleeper.format("x"), expected="0.05 | x\n")
        wrong = write(tmp_path, "wrong.py", sleeper.format("y"), expected="0.30 | not y\n")
        batch.log.addHandler(caplog.handler)  # directly: MkDocs may have stopped its loggers propagating
        with caplog.at_level("INFO", logger=batch.log.name):
            slow_outcome, wrong_outcome = asyncio.run(batch.check_many([slow, wrong], (PYTHON,)))
    finally:
        batch.log.removeHandler(caplog.handler)
        settings.cache_clear()
    assert "checked 1 runs again after a timing miss: 0 passed" in caplog.text
    (problem,) = slow_outcome.problems
    assert "slow.out:1: 'x' appeared at 0.3" in problem
    assert "late in the batch and again when checked after it; load average" in problem
    assert "again" not in "".join(wrong_outcome.problems)


@pytest.mark.parametrize("name", THROUGH_PATCHED_CODE)
def test_a_traceback_through_code_the_recorder_changes_reads_as_without_it(both_runs, name, tmp_path):
    snippet = write(tmp_path, name, THROUGH_PATCHED_CODE[name])
    interpreter = find(PYTHON)
    plain = subprocess.run(
        [interpreter.executable, "-s", "-u", snippet.name], cwd=tmp_path, capture_output=True, text=True, timeout=30,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as from a terminal: not ignored, as
    )  # fmt: skip  # under pytest-xdist, where Python would then ignore Ctrl-C (the engine sees to it itself)
    expected = run_module.normalise(plain.stderr, str(tmp_path), interpreter).splitlines()
    assert "KeyboardInterrupt" in expected[-1], plain.stderr
    for ran in both_runs:  # fresh, then forked
        assert [line.text for line in ran[name].run.lines if line.stream == "err"] == expected


def test_a_rebuilt_function_keeps_its_module_globals_its_file_and_its_lines():
    """child/_snippet_inline.py rebuilds a function from its own source: it must read its module's globals
    (in selectors.py, `select` is the module, not the method), and name its own file and first line."""
    script = textwrap.dedent(f"""
        import asyncio, selectors, sys, threading
        sys.path.insert(0, {str(run_module.CHILD_DIR)!r})
        import _snippet_inline

        original, seen = selectors.DefaultSelector.select, []
        _snippet_inline.patch(selectors.DefaultSelector, "select", lambda selector, timeout: seen.append(timeout))
        rebuilt = selectors.DefaultSelector.select
        assert (rebuilt.__code__.co_filename, rebuilt.__code__.co_firstlineno, rebuilt.__qualname__) == (
            original.__code__.co_filename, original.__code__.co_firstlineno, original.__qualname__)

        async def main():
            loop = asyncio.get_running_loop()  # woken through its self-pipe: select() reads select.EPOLLIN
            threading.Timer(0.05, loop.call_soon_threadsafe, (print, "woken by a thread")).start()
            await asyncio.sleep(0.2)

        asyncio.run(main())
        print("waited with a timeout:", any(timeout is None or timeout > 0 for timeout in seen))
    """)
    ran = subprocess.run([find(PYTHON).executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert (ran.stdout, ran.stderr) == ("woken by a thread\nwaited with a timeout: True\n", "")


def test_stdout_and_stderr_keep_their_order(runs):
    lines = runs["order.py"].run.lines
    assert [(line.stream, line.text) for line in lines] == [("err" if i % 3 else "out", str(i)) for i in range(200)]


def test_output_keeps_the_order_it_was_written_in_even_from_child_processes_and_raw_writes(runs):
    lines = runs["interleaved.py"].run.lines
    assert [(line.stream, line.text) for line in lines] == [
        ("out", "one"), ("out", "two"), ("out", "three"), ("out", "four"),
        ("err", "five"), ("out", "six"), ("out", "seven"),  # raw bytes: standard output
    ]  # fmt: skip


def test_utf8_is_decoded_whole_however_the_output_is_cut(runs):
    assert [line.text for line in runs["wide.py"].run.lines] == ["a" * 3999 + "\u00e9", "\u00e9" * 5000]


def test_sys_stdout_keeps_the_api_of_a_real_text_stream(runs):
    ran = runs["streams.py"].run
    assert ran.returncode == 0, ran.lines
    assert [line.text for line in ran.lines] == ["bytes", "False 1 2 utf-8 <stdout>"]


def test_addresses_and_paths_are_normalised(runs):
    texts = [line.text for line in runs["norm.py"].run.lines]
    assert texts == ["<object object at 0x...>", "/path/to", f"/usr/lib/python{PYTHON}/asyncio/__init__.py"]


def test_tasks_are_recorded_without_changing_output(runs):
    result = runs["tasks.py"].run
    assert [line.text for line in result.lines] == ["['A', 'B']", "ValueError <Task cancelling n"]
    tasks = {task.coro: task for task in result.tasks}
    assert set(tasks) == {"main()", "fetch('A', 0.4)", "fetch('B', 0.8)", "fetch('slow', 5)", "fail()"}
    a, b = tasks["fetch('A', 0.4)"], tasks["fetch('B', 0.8)"]
    # Created at the start: a busy machine may delay even that, by the CPU waits the checks leave out too.
    assert (a.created - a.created_delay, b.created - b.created_delay) == pytest.approx((0, 0), abs=0.05)
    assert (a.finished, b.finished) == pytest.approx((0.4, 0.8), abs=0.2)
    assert (tasks["fetch('slow', 5)"].how, tasks["fetch('slow', 5)"].name) == ("cancelled", "slow one")
    assert tasks["fail()"].how == "failed"
    assert tasks["main()"].how == "done"


def test_unchanged_snippet_is_not_run_twice_but_a_failure_is(tmp_path, monkeypatch):
    monkeypatch.setenv("SNIPPET_CACHE_DIR", str(tmp_path / "cache"))
    settings.cache_clear()
    try:
        good = write(tmp_path, "good.py", "print('ok')\n", expected="0.00 | ok\n")
        bad = write(tmp_path, "bad.py", "print('ok')\n", expected="0.00 | not ok\n")
        first = asyncio.run(batch.check_many([good, bad], (PYTHON,)))
        batch._memo.clear()  # as a new process would start
        second = asyncio.run(batch.check_many([good, bad], (PYTHON,)))
    finally:
        settings.cache_clear()
    assert [(o.ok, o.cached) for o in first] == [(True, False), (False, False)]
    assert [(o.ok, o.cached) for o in second] == [(True, True), (False, False)]
    good.write_text("print('ok')  # changed\n")
    assert not batch.is_known(good, (PYTHON,))


def test_runs_that_end_before_they_start_do_not_hold_up_the_batch(tmp_path):
    """Symbolic links are refused before any process starts: more of them than CPUs must not stall the rest."""
    target = write(tmp_path, "target.py", "print('hi')\n", expected="0.00 | hi\n")
    links = []
    for n in range((os.cpu_count() or 1) + 2):
        link = tmp_path / f"link{n}.py"
        link.symlink_to(target)
        link.with_suffix(".out").write_text("0.00 | hi\n")
        links.append(link)
    outcomes = asyncio.run(asyncio.wait_for(batch.check_many([*links, target], (PYTHON,), use_cache=False), 30))
    assert [o.ok for o in outcomes] == [False] * len(links) + [True]


def test_missing_expected_output_says_how_to_record(tmp_path):
    snippet = write(tmp_path, "new.py", "print('hi')\n")
    (outcome,) = asyncio.run(batch.check_many([snippet], (PYTHON,)))
    assert (
        "new.py: no expected output (new.out); record it with `python -m snippet_engine record" in outcome.problems[0]
    )


def test_record_writes_expected_output_and_refuses_an_undeclared_exit(tmp_path, monkeypatch):
    monkeypatch.setenv("SNIPPET_CACHE_DIR", str(tmp_path / "cache"))
    code = "import asyncio\n\nasync def main():\n    await asyncio.sleep(0.3)\n    print('hi')\n\nasyncio.run(main())\n"
    snippet = write(tmp_path, "rec.py", code)
    failing = write(tmp_path, "fails.py", "raise SystemExit(2)\n")
    results = asyncio.run(record_many([snippet, failing], (PYTHON,)))
    assert results[snippet] == []
    text = snippet.with_suffix(".out").read_text()
    assert re.fullmatch(r" 0\.\d\d \| hi\ntasks:\n0\.\d\d - 0\.\d\d \| done \| Task-1 \| main\(\)\n", text), text
    recorded = parse(snippet.with_suffix(".out"))
    ((line,),) = [variant.lines for variant in recorded.variants]
    assert (line.stream, line.text) == ("out", "hi")
    assert 0.30 <= line.time <= 0.30 + settings().late  # the earliest of three runs; later only under load
    assert [(t.name, t.coro, t.how) for t in recorded.variants[0].tasks] == [("Task-1", "main()", "done")]
    assert "fails.py: exited with code 2" in results[failing][0]
    assert "# exit: 2" in results[failing][0]
    assert not failing.with_suffix(".out").exists()


def test_strict_build_fails_naming_the_broken_snippet(tmp_path):
    """A small project of its own: one page showing a snippet that raises."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "snippets").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        (Path(__file__).parent.parent / "pyproject.toml")
        .read_text()
        .replace('pythons = ["3.11", "3.12", "3.13"]', f'pythons = ["{PYTHON}"]')
    )
    (tmp_path / "mkdocs.yml").write_text(
        textwrap.dedent("""
        site_name: broken
        strict: true
        plugins: [markdown-exec]
        markdown_extensions:
          - pymdownx.superfences:
              custom_fences:
                - name: snippet
                  class: snippet
                  validator: !!python/name:snippet_engine.fence.validate
                  format: !!python/name:snippet_engine.fence.format_snippet
    """)
    )
    (tmp_path / "docs" / "index.md").write_text("# Broken\n\n```snippet\nbroken.py\n```\n")
    write(
        tmp_path / "snippets",
        "broken.py",
        "print('start')\nraise RuntimeError('on purpose')\n",
        expected="0.00 | start\n",
    )
    env = {**os.environ, "SNIPPET_PROJECT_ROOT": str(tmp_path)}
    env.pop("SNIPPET_CACHE_DIR", None)
    started = time.monotonic()
    build = subprocess.run(  # not -q: that hides the warnings --strict counts
        [sys.executable, "-m", "mkdocs", "build"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert build.returncode != 0, build.stderr
    assert "snippets/broken.py: exited with code 1" in build.stderr
    assert 'File "/path/to/broken.py", line 2' in build.stderr
    assert time.monotonic() - started < 60


def test_a_missing_interpreter_fails_saying_how_to_get_it():
    with pytest.raises(
        MissingInterpreter, match=r"Python 3\.99 was not found .*`pyenv install 3\.99`.*SNIPPET_PYTHONS"
    ):
        find("3.99")


def test_a_typical_sample_ends_the_quick_way_and_a_pending_task_does_not(tmp_path):
    """Most samples leave nothing for Python's teardown to do, so a forked run skips it (a third of its CPU)."""
    program = textwrap.dedent(
        """
        import asyncio, gc, sys
        import _snippet_exit

        gc.freeze()  # as the fork server does before a run

        async def work(n):
            await asyncio.sleep(0.01)
            if n == 2:
                raise ValueError(n)
            return n

        async def main():
            results = await asyncio.gather(*(work(n) for n in range(4)), return_exceptions=True)
            task = asyncio.create_task(work(1))
            await task
            async with asyncio.TaskGroup() as group:
                group.create_task(work(3))
            return results

        asyncio.run(main())
        print(_snippet_exit.left_to_finalize())
        loop = asyncio.new_event_loop()
        pending = loop.create_task(asyncio.sleep(3600))
        loop.run_until_complete(asyncio.sleep(0))
        print(_snippet_exit.left_to_finalize())
        pending.cancel()
        loop.run_until_complete(asyncio.sleep(0))
        loop.close()
        """
    )
    env = {**os.environ, "PYTHONPATH": str(Path(batch.__file__).parent / "child")}
    for minor in settings().pythons:
        done = subprocess.run([find(minor).executable, "-c", program], capture_output=True, text=True, env=env)
        assert done.stdout.split() == ["False", "True"], (minor, done.stdout, done.stderr)


@pytest.mark.parametrize("minor", settings().pythons)
def test_recording_tasks_does_not_keep_a_failed_task_alive(tmp_path, minor):
    """A failed task nobody references is freed, and its error reported, at once, as without the recorder.

    On 3.12+ the task's traceback holds the frame that ran its last step; the recorder's wrapper of that
    step must drop its names as asyncio's own ``Handle._run`` does, or the report waits for the end.
    """
    snippet = write(
        tmp_path,
        "freed.py",
        """
        import asyncio

        async def fail():
            await asyncio.sleep(0.1)
            raise ValueError("no")

        async def main():
            asyncio.get_running_loop().set_exception_handler(lambda loop, context: print(context["message"]))
            asyncio.create_task(fail())  # no reference kept
            await asyncio.sleep(0.3)
            print("main returns")

        asyncio.run(main())
        """,
    )
    conf = settings()
    result = asyncio.run(
        run_snippet(snippet, find(minor), timeout=10, max_lines=conf.max_lines, max_bytes=conf.max_bytes)
    )
    assert [line.text for line in result.lines] == ["Task exception was never retrieved", "main returns"]


def test_record_never_takes_a_time_below_what_an_idle_run_shows():
    """CPU waits bound how late a line came, but a wait before a sleep delays nothing: subtracting every
    wait can put a 0.6 s sleep at 0.20 s. Each run gives a lower bound (time less waits) and an upper
    bound (its time); the recorded time is the highest lower bound, never above the earliest time."""
    from snippet_engine.record import _earliest

    def run(time: float, waited: float) -> Run:
        return Run("3.12.1", lines=[Line(time, "out", "after a 0.6 s sleep", waited)])

    idle, busy, busier = run(0.60, 0.0), run(0.75, 0.55), run(0.70, 0.08)
    assert _earliest([busy, idle, busier]).lines[0].time == pytest.approx(0.60)
    assert _earliest([busy, busier]).lines[0].time == pytest.approx(0.62)  # 0.70 - 0.08, the tighter bound
    assert _earliest([run(0.02, 0.05)]).lines[0].time == 0.0  # never before the start


@pytest.mark.parametrize("fresh", ["0", "1"], ids=["forked", "fresh"])
def test_ctrl_c_reaches_a_snippet_even_where_the_engine_ignores_sigint(fresh):
    """A background job (CI's, say) starts with SIGINT ignored, which Python passes on to what it starts; a
    snippet is run as from a terminal, where Ctrl-C raises KeyboardInterrupt."""
    engine = (
        "import runpy, signal, sys\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "sys.argv = ['snippet_engine', 'check', 'snippets/shutdown/ctrl_c.py']\n"
        "runpy.run_module('snippet_engine', run_name='__main__')\n"
    )
    env = {**os.environ, "SNIPPET_FRESH_PROCESSES": fresh}
    done = subprocess.run(
        [sys.executable, "-c", engine], cwd=settings().root, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_runs_timeout_counts_from_when_its_code_starts(tmp_path):
    """On a busy machine an interpreter can take long to start: that is not the snippet's time."""
    python = find(PYTHON)
    # An interpreter whose start-up takes 2 s, more than the whole timeout (1.5 s), which leaves a busy
    # machine 1 s for the snippet's 0.5 s (0.9 s, with a 1 s start-up, was missed in 1 of 20 idle runs).
    slow = tmp_path / "slow-python"
    slow.write_text(f'#!/bin/sh\nsleep 2\nexec {python.executable} "$@"\n')
    slow.chmod(0o755)
    snippet = write(tmp_path, "quick.py", "import time\nprint('started')\ntime.sleep(0.5)\nprint('done')\n")
    conf = settings()
    interpreter = Interpreter(python.minor, python.version, str(slow), python.stdlib)
    run = asyncio.run(
        run_snippet(snippet, interpreter, timeout=1.5, max_lines=conf.max_lines, max_bytes=conf.max_bytes)
    )
    assert run.problem is None, run.problem
    assert [line.text for line in run.lines] == ["started", "done"]
    endless = write(tmp_path, "endless.py", "import time\nprint('started')\ntime.sleep(30)\n")
    run = asyncio.run(
        run_snippet(endless, interpreter, timeout=1.5, max_lines=conf.max_lines, max_bytes=conf.max_bytes)
    )
    assert run.problem == "timed out after 1.5 s"
    assert run.duration < 1.5 + 2 + 5


def test_a_run_that_never_reaches_its_code_is_stopped_and_says_so(tmp_path, monkeypatch):
    """The start-up has a bound of its own; a run stopped before its code started is reported, not raised."""
    monkeypatch.setattr(run_module, "START_UP_LIMIT", 0.3)
    python = find(PYTHON)
    stuck = tmp_path / "stuck-python"  # an interpreter that never gets to start
    stuck.write_text("#!/bin/sh\nsleep 30\n")
    stuck.chmod(0o755)
    snippet = write(tmp_path, "never.py", "print('never')\n")
    conf = settings()
    interpreter = Interpreter(python.minor, python.version, str(stuck), python.stdlib)
    started = time.monotonic()
    run = asyncio.run(
        run_snippet(snippet, interpreter, timeout=0.2, max_lines=conf.max_lines, max_bytes=conf.max_bytes)
    )
    assert run.problem == "did not start within 0.5 s (interpreter start-up and the sandbox)"
    assert run.lines == []
    assert time.monotonic() - started < 10
