"""The engine against bad input: each failure is caught, bounded in time, and names the file and line."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from snippet_engine import batch
from snippet_engine.config import settings
from snippet_engine.expected import compare, parse
from snippet_engine.fence import _output_html
from snippet_engine.interpreters import find
from snippet_engine.record import record_many
from snippet_engine.run import run_snippet

PYTHON = settings().pythons[0]


def write(directory: Path, name: str, code: str, expected: str | None = None) -> Path:
    snippet = directory / name
    snippet.write_text(textwrap.dedent(code).lstrip())
    if expected is not None:
        snippet.with_suffix(".out").write_text(textwrap.dedent(expected).lstrip())
    return snippet


def run(snippet: Path, timeout: float = 10, max_lines: int | None = None):
    conf = settings()
    return asyncio.run(run_snippet(
        snippet, find(PYTHON), timeout=timeout, max_lines=max_lines or conf.max_lines, max_bytes=conf.max_bytes
    ))  # fmt: skip


def problems(snippet: Path, **kwargs) -> str:
    return "\n".join(compare(run(snippet, **kwargs), parse(snippet.with_suffix(".out")), PYTHON, settings()))


def test_syntax_error_names_file_and_line(tmp_path):
    snippet = write(tmp_path, "broken.py", "print('a')\ndef f(:\n    pass\n", expected="0.00 | a\n")
    message = problems(snippet)
    assert "broken.py: exited with code 1" in message
    assert 'File "/path/to/broken.py", line 2' in message
    assert "SyntaxError" in message


def test_exception_names_file_and_line(tmp_path):
    code = """
        import asyncio

        async def main():
            raise ValueError("boom")

        asyncio.run(main())
    """
    message = problems(write(tmp_path, "raises.py", code, expected=""))
    assert "raises.py: exited with code 1" in message
    assert 'File "/path/to/raises.py", line 4, in main' in message
    assert "ValueError: boom" in message


def test_endless_loop_is_stopped_and_keeps_what_it_printed(tmp_path):
    code = """
        import asyncio

        async def main():
            print("started")
            while True:
                await asyncio.sleep(0.1)

        asyncio.run(main())
    """
    snippet = write(tmp_path, "endless.py", code, expected="0.00 | started\n")
    started = time.monotonic()
    result = run(snippet, timeout=1.5)
    assert time.monotonic() - started < 5
    assert result.problem == "timed out after 1.5 s"
    assert [line.text for line in result.lines] == ["started"]
    message = "\n".join(compare(result, parse(snippet.with_suffix(".out")), PYTHON, settings()))
    assert "endless.py: timed out after 1.5 s" in message
    assert "0.00 | started" in message


def test_busy_loop_without_await_is_stopped(tmp_path):
    snippet = write(tmp_path, "spin.py", "while True:\n    pass\n", expected="")
    started = time.monotonic()
    assert run(snippet, timeout=1).problem == "timed out after 1 s"
    assert time.monotonic() - started < 5


def test_flood_of_output_is_stopped(tmp_path):
    snippet = write(tmp_path, "flood.py", "for i in range(300_000):\n    print(i)\n", expected="")
    started = time.monotonic()
    result = run(snippet, max_lines=2000)
    assert time.monotonic() - started < 10
    assert result.problem.startswith("printed more than 2,000 lines")
    assert result.lines[0].text == "0"
    assert "flood.py: printed more than" in problems(snippet, max_lines=2000)


def test_unexpected_exit_code_fails_and_declared_one_passes(tmp_path):
    snippet = write(tmp_path, "exits.py", "import sys\nprint('bye')\nsys.exit(3)\n", expected="0.00 | bye\n")
    message = problems(snippet)
    assert "exits.py: exited with code 3" in message
    assert "put `# exit: 3` at the top of" in message
    snippet.with_suffix(".out").write_text("# exit: 3\n0.00 | bye\n")
    assert problems(snippet) == ""


def test_printed_html_is_shown_as_text(tmp_path):
    snippet = write(tmp_path, "html.py", "print('<script>alert(1)</script> & <b>')\n")
    from snippet_engine.expected import Variant

    variant = Variant(None, run(snippet).lines)
    shown = _output_html("html.py", variant, "Output")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;" in shown
    assert "<script>" not in shown
    assert "<b>" not in shown


def test_wrong_text_names_the_expected_line(tmp_path):
    code = "print('one')\nprint('two')\nprint('three')\n"
    snippet = write(tmp_path, "text.py", code, expected="0.00 | one\n0.00 | 2\n0.00 | three\n")
    message = problems(snippet)
    assert "text.out:2: output differs" in message
    assert "-| 2" in message
    assert "+| two" in message


def test_late_and_early_lines_fail(tmp_path):
    code = """
        import asyncio

        async def main():
            await asyncio.sleep(1)
            print("after one second")

        asyncio.run(main())
    """
    snippet = write(tmp_path, "late.py", code, expected="0.20 | after one second\n")
    assert "late.out:1: 'after one second' appeared at 1.0" in problems(snippet)
    snippet.with_suffix(".out").write_text("2.00 | after one second\n")
    assert "expected 2.00 s (allowed 1.95-2.60 s)" in problems(snippet)
    snippet.with_suffix(".out").write_text("1.00 | after one second\n")
    assert problems(snippet) == ""


def test_stdout_and_stderr_keep_their_order(tmp_path):
    code = "import sys\nfor i in range(200):\n    print(i, file=sys.stderr if i % 3 else sys.stdout)\n"
    lines = run(write(tmp_path, "order.py", code)).lines
    assert [(line.stream, line.text) for line in lines] == [("err" if i % 3 else "out", str(i)) for i in range(200)]


def test_addresses_and_paths_are_normalised(tmp_path):
    code = "import asyncio, os\nprint(object())\nprint(os.getcwd())\nprint(asyncio.__file__)\n"
    texts = [line.text for line in run(write(tmp_path, "norm.py", code)).lines]
    assert texts == ["<object object at 0x...>", "/path/to", f"/usr/lib/python{PYTHON}/asyncio/__init__.py"]


def test_tasks_are_recorded_without_changing_output(tmp_path):
    code = """
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
    """
    result = run(write(tmp_path, "tasks.py", code))
    assert [line.text for line in result.lines] == ["['A', 'B']", "ValueError <Task cancelling n"]
    tasks = {task.coro: task for task in result.tasks}
    assert set(tasks) == {"main()", "fetch('A', 0.4)", "fetch('B', 0.8)", "fetch('slow', 5)", "fail()"}
    a, b = tasks["fetch('A', 0.4)"], tasks["fetch('B', 0.8)"]
    assert (a.created, b.created) == pytest.approx((0, 0), abs=0.05)
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
    assert snippet.with_suffix(".out").read_text() == " 0.30 | hi\ntasks:\n0.00 - 0.30 | done | Task-1 | main()\n"
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
