"""The samples on Python 3.14 in WebAssembly (Pyodide, in Node): the runner is faithful, sealed and bounded,
and which samples run in a page as they do on CPython is found by running them all (issue 15).

Without Node or `npm ci`'s Pyodide these tests are skipped, with the reason; with CI set they fail instead.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from snippet_engine import pyodide_runs
from snippet_engine.config import discover, settings
from snippet_engine.expected import parse, path_for
from snippet_engine.run import Run

ROOT = Path(__file__).resolve().parent.parent
RUNNABLE_AT_LEAST = 50  # issue 15: at least 50 of today's samples run in the page

# Samples of these tests' own, each for one promise. They run in the same batch as every sample of the
# site, so Pyodide starts once for all (about 3 CPU-s each time); a name says whose it is.
OWN = {
    "pyodide_fails.py": (
        10,
        """
        import asyncio

        async def main():
            raise ValueError("boom")

        asyncio.run(main())
        """,
    ),
    "pyodide_endless.py": (1, "while True:\n    pass\n"),
    "pyodide_blocked.py": (1, "import time\nprint('asleep')\ntime.sleep(60)\n"),
    "pyodide_named_under_a_factory.py": (
        10,
        """
        import asyncio

        async def work():
            return asyncio.current_task().get_name()

        async def main():
            asyncio.get_running_loop().set_task_factory(lambda loop, coro, **kw: asyncio.Task(coro, loop=loop, **kw))
            print(await asyncio.create_task(work(), name="named"))

        asyncio.run(main())
        """,
    ),
    "pyodide_floods.py": (10, "i = 0\nwhile True:\n    print(i)\n    i += 1\n"),
    "pyodide_leaves_a_timer.py": (
        10,
        """
        import js

        js.setTimeout(lambda: print("left behind"), 300)
        print("first done")
        """,
    ),
}
WRITTEN_BY_A_SAMPLE = ROOT / "written-by-a-sample.txt"
OWN["pyodide_writes.py"] = (
    10,
    f"""
    import js

    fs = js.process.getBuiltinModule("fs")
    try:
        fs.writeFileSync({str(WRITTEN_BY_A_SAMPLE)!r}, "changed")
        print("written")
    except Exception as error:
        print("refused:", "EROFS" in str(error) or "read-only" in str(error))
    """,
)


@pytest.fixture(scope="module", autouse=True)
def pyodide_here() -> None:
    reason = pyodide_runs.missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"samples cannot run on Pyodide: {reason} (CI is set, so this is an error)")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def runs(after_snippet_runs, tmp_path_factory) -> dict[str, Run]:
    """Every sample of the site and of these tests, in one batch, after CPython's timed runs are over (so as
    not to load the machine under them); by the sample's name."""
    own = tmp_path_factory.mktemp("pyodide")
    limits = {snippet: pyodide_runs.limit_for(parse(path_for(snippet)), settings()) for snippet in discover()}
    for name, (limit, code) in OWN.items():
        path = own / name
        path.write_text(textwrap.dedent(code).lstrip())
        limits[path] = limit
    WRITTEN_BY_A_SAMPLE.unlink(missing_ok=True)
    try:
        found = pyodide_runs.run_all(limits, max_lines=2000, max_bytes=200_000)
        assert not WRITTEN_BY_A_SAMPLE.exists(), "a sample on Pyodide wrote into the checkout"
    finally:
        WRITTEN_BY_A_SAMPLE.unlink(missing_ok=True)
    return {snippet.name: result for snippet, result in found.items()}


def texts(result: Run) -> list[str]:
    return [line.text for line in result.lines]


def why_it_differs(runs: dict[str, Run], snippet: Path) -> str | None:
    """How the sample's run on Pyodide differs from its `.out` (pyodide_runs.why_it_differs), or None."""
    return pyodide_runs.why_it_differs(runs[snippet.name], parse(path_for(snippet)), settings())


def test_at_least_50_samples_run_in_a_page_as_on_cpython(runs: dict[str, Run]) -> None:
    differ = {}
    for snippet in discover():
        why = why_it_differs(runs, snippet)
        if why is not None:
            differ[snippet] = why.splitlines()[0]
    runnable = len(discover()) - len(differ)
    listed = "\n".join(f"  {snippet.relative_to(ROOT)}: {why}" for snippet, why in sorted(differ.items()))
    assert runnable >= RUNNABLE_AT_LEAST, f"{runnable} samples run on Pyodide as on CPython; they differ:\n{listed}"


def test_a_sample_prints_at_its_times_and_records_its_tasks_as_on_cpython(runs: dict[str, Run]) -> None:
    snippet = ROOT / "snippets" / "home" / "thirty_seconds.py"
    assert why_it_differs(runs, snippet) is None
    assert [(line.text, round(line.time)) for line in runs[snippet.name].lines] == [
        ("A finished", 1),
        ("B finished", 2),
        ("['result of A', 'result of B']", 2),
    ]
    assert [(task.name, task.coro, task.how) for task in runs[snippet.name].tasks] == [
        ("Task-1", "main()", "done"),
        ("Task-2", "fetch('A', 1)", "done"),
        ("Task-3", "fetch('B', 2)", "done"),
    ]


def test_a_blocking_call_holds_up_the_loop_as_on_cpython_and_a_thread_cannot_help(runs: dict[str, Run]) -> None:
    """Pyodide's own time.sleep() (stack switching) lets the web loop run other callbacks meanwhile, which
    showed ticks during the block; the runner's blocks the thread, as CPython's does. With no threads in
    WebAssembly, to_thread() cannot keep the loop going, and that sample is found to differ."""
    blocked = ROOT / "snippets" / "blocking_code" / "blocking_call_freezes_loop.py"
    assert why_it_differs(runs, blocked) is None
    printed = texts(runs[blocked.name])
    assert printed.index("load_report: blocking call done") < printed.index("tick 1"), printed
    threaded = ROOT / "snippets" / "blocking_code" / "to_thread_keeps_loop_running.py"
    assert why_it_differs(runs, threaded) is not None


def test_a_traceback_reads_as_python_prints_it(runs: dict[str, Run]) -> None:
    result = runs["pyodide_fails.py"]
    errors = [line.text for line in result.lines if line.stream == "err"]
    assert result.returncode == 1
    assert errors[0] == "Traceback (most recent call last):"
    assert errors[1] == '  File "/path/to/pyodide_fails.py", line 6, in <module>', errors
    assert errors[-1] == "ValueError: boom"
    assert not [line for line in errors if "/engine/" in line or "_snippet_" in line], errors


def test_a_sample_that_runs_too_long_is_stopped_with_what_it_printed(runs: dict[str, Run]) -> None:
    for name in ("pyodide_endless.py", "pyodide_blocked.py"):
        assert runs[name].problem == "timed out after 1 s", runs[name]
        assert runs[name].duration < 3, f"{name} was stopped after {runs[name].duration:.1f} s, not 1 s"
    assert texts(runs["pyodide_blocked.py"]) == ["asleep"]


def test_a_task_factory_and_a_task_name_work_together(runs: dict[str, Run]) -> None:
    """Pyodide 314.0.7's loop calls asyncio.tasks._set_task_name, gone from 3.14: the runner puts it back."""
    assert texts(runs["pyodide_named_under_a_factory.py"]) == ["named"]


def test_a_sample_that_prints_too_much_is_stopped_at_once(runs: dict[str, Run]) -> None:
    result = runs["pyodide_floods.py"]
    assert result.problem is not None
    assert result.problem.startswith("printed more than"), result.problem
    assert result.duration < 5, f"a sample printing without end ran {result.duration:.1f} s, past its bytes"


def test_what_a_sample_leaves_running_ends_with_its_run(runs: dict[str, Run]) -> None:
    """Its timer would print after the run: it reaches neither its own run nor any other."""
    assert texts(runs["pyodide_leaves_a_timer.py"]) == ["first done"]
    assert not [name for name, result in runs.items() if "left behind" in texts(result)]


def test_a_sample_cannot_change_the_checkout(runs: dict[str, Run]) -> None:
    """Pyodide's `js` module reaches Node, and Node the file system: the sandbox keeps it read-only (and the
    batch fixture fails if the file was written)."""
    assert texts(runs["pyodide_writes.py"]) == ["refused: True"]


@pytest.mark.parametrize(
    ("listed", "flags"),
    [
        (
            "--experimental-wasm-stack-switching (enable stack switching for Wasm (experimental))",
            ("--experimental-wasm-stack-switching",),
        ),
        (
            "--experimental-wasm-jspi (enable JSPI)\n--experimental-wasm-stack-switching-x (other)",
            ("--experimental-wasm-jspi",),
        ),
        ("--experimental-wasm-stack-switching-stack-size (size)", ()),
    ],
    ids=["node-20", "newer-v8", "neither"],
)
def test_stack_switching_is_turned_on_by_the_name_this_node_knows(tmp_path: Path, listed: str, flags) -> None:
    node = tmp_path / "node"
    node.write_text(f"#!/bin/sh\ncat <<'END'\n  {listed}\nEND\n")
    node.chmod(0o755)
    assert pyodide_runs.node_flags(str(node)) == flags
