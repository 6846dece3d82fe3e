"""Faithful pages: a page shows exactly what the program printed, or the build fails, in every mode.

Each test builds, serves or tests a small project of its own (one or two Pythons, tiny snippets)
with this virtual environment's tools, the way a second checkout would be: nothing points the
engine at the project but the project itself. CONTRIBUTING's "What the engine refuses" table
names the test for each case.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import html
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT, warnings_of
from snippet_engine import batch, cache, config, fence
from snippet_engine.config import ConfigError, find_project, settings
from snippet_engine.expected import Expected, ExpectedFileError, Variant, format_line, parse, render
from snippet_engine.interpreters import Interpreter
from snippet_engine.run import Line, Run

PY, PY2 = settings().configured[:2]
# Builds, servers and test runs of their own: after the suite's snippet runs, so as not to load the machine then.
pytestmark = pytest.mark.usefixtures("after_snippet_runs")
FENCE_CONFIG = """
    markdown_extensions:
      - pymdownx.superfences:
          custom_fences:
            - name: snippet
              class: snippet
              validator: !!python/name:snippet_engine.fence.validate
              format: !!python/name:snippet_engine.fence.format_snippet
      - pymdownx.tabbed:
          alternate_style: true
"""


def make_project(
    directory: Path,
    snippets: dict[str, tuple[str, str | bytes]],
    pages: dict[str, str],
    pythons: tuple[str, ...] = (PY,),
) -> Path:
    """A project: pyproject.toml (this one's settings, other Pythons), mkdocs.yml (strict), pages, snippets."""
    (directory / "docs").mkdir(parents=True)
    (directory / "snippets").mkdir()
    pyproject = (ROOT / "pyproject.toml").read_text()
    table = pyproject[pyproject.index("[tool.snippet-engine]") : pyproject.index("[tool.pytest")]
    table = re.sub(r"pythons = \[.*\]", f"pythons = {list(pythons)!r}".replace("'", '"'), table)
    (directory / "pyproject.toml").write_text(table + '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    (directory / "mkdocs.yml").write_text(
        "site_name: faithful\nstrict: true\nplugins: [markdown-exec]\nwatch: [snippets]\n"
        + textwrap.dedent(FENCE_CONFIG)
    )
    for name, text in pages.items():
        (directory / "docs" / name).write_text(text)
    for name, (code, expected) in snippets.items():
        snippet = directory / "snippets" / name
        snippet.parent.mkdir(parents=True, exist_ok=True)
        snippet.write_text(code)
        out = snippet.with_suffix(".out")
        out.write_bytes(expected) if isinstance(expected, bytes) else out.write_text(expected)
    return directory


def fence_page(*names: str) -> str:
    return "# Page\n\n" + "".join(f"```snippet\n{name}\n```\n\n" for name in names)


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without anything that picks a project, a cache or versions."""
    drop = {"SNIPPET_PROJECT_ROOT", "SNIPPET_PYTHONS", "SNIPPET_CACHE_DIR", "CI", "MKDOCS_CONFIG_DIR"}
    return {**{k: v for k, v in os.environ.items() if k not in drop}, **extra}


def mkdocs_build(project: Path, *options: str, **env: str) -> subprocess.CompletedProcess:
    """A build of ``project`` from its folder; its log and MkDocs' last word ("Aborted ...", on stdout) in stderr."""
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--site-dir", str(project / "site"), *options],
        cwd=project, env=clean_env(**env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120,
    )  # fmt: skip


def page_html(project: Path, page: str) -> str:
    return (project / "site" / page / "index.html").read_text(encoding="utf-8")


def warnings(log: str) -> list[str]:
    return [line for line in log.splitlines() if line.startswith("WARNING")]


# --- output or timing differs, malformed .out, engine error: mkdocs build and mkdocs serve -------------

BAD = {
    "differs.py": ("print('<script>alert(1)</script>')\n", " 0.00 | hello\n"),
    "late.py": ("print('now')\n", " 1.00 | now\n"),
    "exit_word.py": ("print('x')\n", "# exit: zero\n 0.00 | x\n"),
    "python_word.py": ("print('x')\n", "# python: three\n 0.00 | x\n"),
    "not_utf8.py": ("print('x')\n", b" 0.00 | x\n 0.00 | \xff\n"),
    "fine.py": ("print('fine ')\n", " 0.00 |~ fine\\x20\n"),
}


@pytest.fixture(scope="module")
def bad_project(tmp_path_factory) -> Path:
    pages = {f"{name[:-3]}.md": fence_page(name) for name in BAD}
    pages["option.md"] = '# Option\n\n```snippet nope="1"\nfine.py\n```\n'
    pages["index.md"] = "# Index\n"
    return make_project(tmp_path_factory.mktemp("bad"), BAD, pages)


def test_strict_build_fails_once_per_problem_naming_page_snippet_and_line(bad_project):
    build = mkdocs_build(bad_project, "--strict")
    assert build.returncode == 1, build.stdout
    assert "Aborted with 6 warnings in strict mode!" in build.stdout  # one per broken fence, nothing else
    said = "\n".join(warnings(build.stdout))
    for expected in (
        "snippet_engine: docs/differs.md: snippet differs.py: snippets/differs.out:1: output differs",
        "snippet_engine: docs/late.md: snippet late.py: snippets/late.out:1: 'now' appeared at 0.0",
        "snippet_engine: docs/exit_word.md: snippet exit_word.py: snippets/exit_word.out:1: '# exit:' takes",
        "snippet_engine: docs/python_word.md: snippet python_word.py: snippets/python_word.out:1: '# python:' takes",
        "snippet_engine: docs/not_utf8.md: snippet not_utf8.py: snippets/not_utf8.out:2: not UTF-8 (byte 0xff)",
        "snippet_engine: docs/option.md: snippet fine.py: unknown option nope",
    ):
        assert expected in said, build.stdout


def test_a_page_never_shows_a_failed_check_as_markdown_or_html(bad_project):
    """Built without --strict (as serve would): every broken fence is an escaped error box."""
    build = mkdocs_build(bad_project, "--no-strict")
    assert build.returncode == 0, build.stdout
    differs = page_html(bad_project, "differs")
    assert '<div class="snippet-error" role="alert">' in differs
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in differs  # the diff, as text
    assert "<script>alert" not in differs
    for page in ("late", "exit_word", "python_word", "not_utf8", "option"):
        assert '<div class="snippet-error" role="alert">' in page_html(bad_project, page), page
        assert "<p><code>snippet" not in page_html(bad_project, page), page  # not SuperFences' fallback
    fine = page_html(bad_project, "fine")
    assert "snippet-error" not in fine
    assert "fine \n" not in fine
    assert "fine </span>" in fine


def test_engine_error_is_one_warning_and_a_box_naming_file_and_line(monkeypatch, caplog):
    def broken(*_, **__):
        raise RuntimeError("<b>boom</b>")

    monkeypatch.setattr(batch, "is_known", broken)
    with caplog.at_level(logging.INFO, logger="mkdocs.plugins.snippet_engine"):
        shown = fence.format_snippet("home/thirty_seconds.py", "snippet", "snippet", {}, md=None)
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    line = broken.__code__.co_firstlineno + 1
    assert f"test_faithful.py:{line}: the engine failed: RuntimeError: <b>boom</b>" in record.getMessage()
    assert "snippet home/thirty_seconds.py" in record.getMessage()
    assert '<div class="snippet-error" role="alert">' in shown
    assert "&lt;b&gt;boom&lt;/b&gt;" in shown
    assert "<b>" not in shown


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str, until, seconds: float = 30) -> str:
    deadline, text = time.monotonic() + seconds, ""
    while time.monotonic() < deadline:
        try:
            text = urllib.request.urlopen(url, timeout=5).read().decode()
            if until(text):
                return text
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} never satisfied the test; last page:\n{text[-2000:]}")


def test_serve_shows_the_box_keeps_serving_and_drops_it_when_fixed(tmp_path):
    """`mkdocs serve` with `strict: true` in mkdocs.yml: it starts, shows the box, and a fix takes it away."""
    project = make_project(
        tmp_path, {"s.py": ("print('<i>new</i>')\n", " 0.00 | old\n")}, {"index.md": fence_page("s.py")}
    )
    url, server = serve(project)
    try:
        page = fetch(url, lambda text: "snippet-error" in text)
        assert "&lt;i&gt;new&lt;/i&gt;" in page
        assert "<i>new" not in page
        (project / "snippets" / "s.out").write_text(" 0.00 | <i>new</i>\n")
        page = fetch(url, lambda text: "snippet-error" not in text)
        assert "&lt;i&gt;new&lt;/i&gt;</span>" in page  # the output, checked and shown
    finally:
        server.terminate()
        log = server.communicate(timeout=30)[1]
    assert not warnings(log), log  # said at INFO: strict mode does not count it, and the server kept serving
    assert log.count("snippet_engine: docs/index.md: snippet s.py: snippets/s.out:1: output differs") == 1, log


def serve(project: Path):
    """``mkdocs serve`` of ``project`` on a free port: (its address, the process)."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
        cwd=project, env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    return f"http://127.0.0.1:{port}/", server


def test_serve_with_a_missing_python_shows_boxes_and_says_it_once(tmp_path):
    good = ("print('ok')\n", " 0.00 | ok\n")
    project = make_project(
        tmp_path, {"a.py": good, "b.py": good}, {"index.md": fence_page("a.py"), "b.md": fence_page("b.py")},
        pythons=(PY, "3.99"),
    )  # fmt: skip
    url, server = serve(project)
    try:
        for page in (url, url + "b/"):
            assert "Python 3.99 was not found" in fetch(page, lambda text: "snippet-error" in text)
    finally:
        server.terminate()
        log = server.communicate(timeout=30)[1]
    assert not warnings(log), log
    assert log.count("Python 3.99 was not found") == 1, log


# --- a required Python is missing ----------------------------------------------------------------------


def test_a_missing_python_fails_the_build_once_saying_how(tmp_path):
    good = ("print('ok')\n", " 0.00 | ok\n")
    project = make_project(
        tmp_path, {"a.py": good, "b.py": good}, {"index.md": fence_page("a.py"), "b.md": fence_page("b.py")},
        pythons=(PY, "3.99"),
    )  # fmt: skip
    build = mkdocs_build(project, "--strict")
    assert build.returncode == 1
    assert "Aborted with 1 warnings in strict mode!" in build.stdout, build.stdout
    assert build.stdout.count("Python 3.99 was not found") == 1
    assert "pyenv install 3.99" in build.stdout
    assert "SNIPPET_PYTHONS" in build.stdout
    assert "snippet-error" in page_html(project, "b") or not (project / "site" / "b").exists()


# --- versions left out with SNIPPET_PYTHONS, and CI refusing it --------------------------------------


@pytest.fixture(scope="module")
def narrowed_project(tmp_path_factory) -> Path:
    snippets = {
        "both.py": ("print('both')\n", " 0.00 | both\n"),
        "newer.py": ("print('newer')\n", f"# python: {PY2}\n 0.00 | newer\n"),
    }
    pages = {"index.md": fence_page("both.py"), "newer.md": fence_page("newer.py")}
    return make_project(tmp_path_factory.mktemp("narrowed"), snippets, pages, pythons=(PY, PY2))


def test_left_out_versions_are_shown_marked_unchecked_and_listed_once(narrowed_project):
    build = mkdocs_build(narrowed_project, "--strict", SNIPPET_PYTHONS=PY)
    assert build.returncode == 0, build.stdout
    assert build.stdout.count("left out (SNIPPET_PYTHONS") == 1, build.stdout
    assert f"Python {PY2} left out (SNIPPET_PYTHONS={PY})" in build.stdout
    both = html.unescape(page_html(narrowed_project, ""))
    assert f"Output, checked on Python {PY}; recorded on Python {PY2}, not checked in this build" in both
    newer = page_html(narrowed_project, "newer")  # its only version is left out: shown from its .out file
    assert f"recorded on Python {PY2}, not checked in this build" in newer
    assert 'class="snippet-badge">not checked in this build<' in newer
    assert 'snippet-unchecked" data-snippet="newer.py"' in newer
    assert "newer</span>" in newer


def test_ci_refuses_snippet_pythons(narrowed_project, monkeypatch):
    build = mkdocs_build(narrowed_project, "--strict", SNIPPET_PYTHONS=PY, CI="true")
    assert build.returncode == 1
    assert "Aborted with 1 warnings in strict mode!" in build.stdout, build.stdout
    assert f"SNIPPET_PYTHONS={PY} is refused in CI (CI=true is set)" in build.stdout
    monkeypatch.setenv("CI", "1")
    monkeypatch.setenv("SNIPPET_PYTHONS", PY)
    with pytest.raises(ConfigError, match="refused in CI"):
        settings()


def test_snippet_pythons_naming_an_unlisted_version_is_refused(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("SNIPPET_PYTHONS", "3.99")
    with pytest.raises(ConfigError, match=r"names 3\.99, which pyproject.toml does not list"):
        settings()


# --- pytest: the same cases, in a project's own test run -----------------------------------------------


@pytest.fixture(scope="module")
def tested_project(tmp_path_factory) -> Path:
    snippets = {
        "good.py": ("print('good')\n", " 0.00 | good\n"),
        "malformed.py": ("print('x')\n", "# exit: zero\n 0.00 | x\n"),
        "newer.py": ("print('newer')\n", f"# python: {PY2}\n 0.00 | newer\n"),
    }
    project = make_project(tmp_path_factory.mktemp("tested"), snippets, {}, pythons=(PY, PY2))
    (project / "tests").mkdir()
    for name in ("conftest.py", "test_snippets.py"):
        shutil.copy(ROOT / "tests" / name, project / "tests" / name)
    return project


def inner_pytest(project: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-rA", "-p", "no:cacheprovider", "-p", "no:randomly"],
        cwd=project, env=clean_env(**env), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_pytest_fails_the_broken_snippet_and_skips_left_out_versions_saying_why(tested_project):
    result = inner_pytest(tested_project, SNIPPET_PYTHONS=PY)
    out = result.stdout
    assert result.returncode == 1, out
    assert f"PASSED tests/test_snippets.py::test_snippet[good.py-{PY}]" in out  # collection went on
    assert f"FAILED tests/test_snippets.py::test_snippet[malformed.py-{PY}]" in out
    assert "snippets/malformed.out:1: '# exit:' takes a whole number, got 'zero'" in out
    skipped = f"Python {PY2} left out by SNIPPET_PYTHONS={PY}: not checked in this run"
    assert re.search(rf"SKIPPED \[3\] .*: {re.escape(skipped)}", out), out  # good, malformed, newer: all there
    assert "1 failed, 1 passed, 3 skipped" in out


def test_pytest_reports_a_missing_python_once(tested_project):
    pyproject = tested_project / "pyproject.toml"
    original = pyproject.read_text()
    pyproject.write_text(original.replace(f'"{PY2}"', '"3.99"'))
    try:
        result = inner_pytest(tested_project)
    finally:
        pyproject.write_text(original)
    out = result.stdout
    assert out.count("Python 3.99 was not found") == 2, out  # one failure, and one line for the skips naming it
    assert "FAILED tests/test_snippets.py::test_snippet[good.py-3.99]" in out
    assert re.search(r"SKIPPED \[2\] tests/test_snippets.py:\d+: Python 3.99 was not found \(reported once, by ", out)
    assert "2 failed, 1 passed, 2 skipped" in out  # the other failure: malformed.py on the version that is here
    assert "`pyenv install 3.99`" in out


def test_pytest_refuses_snippet_pythons_in_ci(tested_project):
    result = inner_pytest(tested_project, SNIPPET_PYTHONS=PY, CI="1")
    assert result.returncode == 4  # a usage error: nothing ran
    assert f"SNIPPET_PYTHONS={PY} is refused in CI" in result.stderr


def test_pytest_shows_only_the_warnings_of_a_failed_build():
    log = "INFO    -  Building\nWARNING -  snippet_engine: docs/a.md: x\n--- expected\n+++ printed\nINFO    -  done\n"
    assert warnings_of(log + "Aborted with 1 warnings in strict mode!\n") == (
        "WARNING -  snippet_engine: docs/a.md: x\n--- expected\n+++ printed\nAborted with 1 warnings in strict mode!"
    )
    assert len(warnings_of("WARNING -  x\n" * 1000).splitlines()) == 201


def test_a_problem_alike_on_several_versions_is_said_once():
    a, b = Run(python="3.11.7"), Run(python="3.12.1")
    message = "x.out:1: output differs from the run on Python {}\n-| a\n+| b"
    outcomes = [
        batch.Outcome(Path("x.py"), "3.11", run=a, problems=[message.format("3.11.7")]),
        batch.Outcome(Path("x.py"), "3.12", run=b, problems=[message.format("3.12.1")]),
    ]
    assert fence.problems(outcomes) == [message.format("3.11.7 · 3.12.1")]


# --- the project is the one being built, not where the engine is installed ------------------------------


def test_one_environment_two_checkouts_builds_the_one_asked_for(tmp_path):
    """A copy of this project with its first snippet broken, built by this checkout's mkdocs, fails."""
    name = "home/thirty_seconds"
    copy = make_project(
        tmp_path, {f"{name}.py": ("print('a'\n", (ROOT / "snippets" / f"{name}.out").read_text())},
        {"index.md": fence_page(f"{name}.py")},
    )  # fmt: skip
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")  # this project's own settings, all Pythons
    build = mkdocs_build(copy, "--strict")
    assert build.returncode == 1
    assert f"snippets/{name}.py: exited with code 1" in build.stdout
    assert "SyntaxError" in build.stdout
    check = subprocess.run(  # the command line finds the project from a folder inside it
        [sys.executable, "-m", "snippet_engine", "check", "--python", PY],
        cwd=copy / "docs", env=clean_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert check.returncode == 1
    assert f"snippets/{name}.py: exited with code 1" in check.stderr


def test_the_project_is_found_from_inside_it_and_nowhere_else(tmp_path):
    assert find_project(ROOT / "snippet_engine" / "child") == ROOT
    (tmp_path / "pyproject.toml").write_text("[tool.other]\n")
    with pytest.raises(ConfigError, match=r"no pyproject.toml with \[tool.snippet-engine\]"):
        find_project(tmp_path)
    check = subprocess.run(
        [sys.executable, "-m", "snippet_engine", "check"],
        cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert check.returncode == 2
    assert f"no project here: no pyproject.toml with [tool.snippet-engine] in {tmp_path.resolve()}" in check.stderr


def test_the_build_and_the_suite_name_their_project(monkeypatch):
    monkeypatch.delenv("SNIPPET_PROJECT_ROOT", raising=False)
    assert config.root() == ROOT  # pytest's rootdir (tests/conftest.py)
    monkeypatch.setenv("SNIPPET_PROJECT_ROOT", "/somewhere")
    assert config.root() == Path("/somewhere")


# --- the .out file holds exactly what was printed ---------------------------------------------------------

TEXTS = [
    "",
    " ",
    "x ",
    " x",
    "x\t",
    "\t",
    "a\\b",
    "\\",
    "\\x41",
    "ends with a backslash \\",
    "~tilde",
    "é ü ✓ 😀",
    "😀 ",
    "\u2028",
    "a\u2029b",
    "\ufeffbom",
    "\xa0",
    "\ud800",
    *(f"a{chr(code)}b" for code in [*range(0x20), 0x7F, *range(0x80, 0xA0)]),
    *(chr(code) for code in range(0x20)),
]


def test_every_text_survives_a_round_trip_through_the_out_file(tmp_path):
    path = tmp_path / "all.out"
    lines = [Line(0.5, stream, text) for text in TEXTS for stream in ("out", "err")]
    path.write_text(render(Expected(path, variants=[Variant(None, lines)])), encoding="utf-8")
    assert [(line.stream, line.text) for line in parse(path).variants[0].lines] == [(x.stream, x.text) for x in lines]
    for line in path.read_text(encoding="utf-8").split("\n")[:-1]:
        assert line == line.rstrip(), repr(line)  # nothing an editor or git would change
        assert line.replace("\t", " ").isprintable(), repr(line)  # a tab inside a line stays plain


def test_ordinary_lines_keep_the_plain_form_and_every_out_file_is_unchanged():
    assert format_line(Line(1, "out", "x")) == " 1.00 | x"
    assert format_line(Line(1, "err", "a\\b")) == " 1.00 ! a\\b"  # a backslash is escaped in escaped lines only
    assert format_line(Line(1, "out", "x ")) == " 1.00 |~ x\\x20"
    assert format_line(Line(1, "out", "a\\b\r")) == " 1.00 |~ a\\\\b\\x0d"
    files = sorted((ROOT / "snippets").rglob("*.out"))
    assert files
    for path in files:
        assert render(parse(path)) == path.read_text(encoding="utf-8"), path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# exit: zero\n", r"x\.out:1: '# exit:' takes a whole number, got 'zero'"),
        ("# python: three\n", r"x\.out:1: '# python:' takes a version like 3\.12"),
        ("# timeout: -1\n", r"x\.out:1: '# timeout:' takes seconds, above 0"),
        (" 0.00 | a\n 0.00 |~ b\\q\n", r"x\.out:2: unknown escape '\\\\q'"),
        (" 0.00 | a\r\n", r"x\.out:1: the line ends with \\r"),
        ("@ python three\n", r"x\.out:1: expected '@ python 3\.X"),
    ],
)
def test_a_malformed_out_file_is_refused_naming_its_line(tmp_path, text, message):
    path = tmp_path / "x.out"
    path.write_text(text, newline="")
    with pytest.raises(ExpectedFileError, match=message):
        parse(path)


def test_a_byte_that_is_not_utf8_is_refused_naming_its_line(tmp_path):
    path = tmp_path / "x.out"
    path.write_bytes(b" 0.00 | a\n 0.00 | \xe9t\xe9\n")
    with pytest.raises(ExpectedFileError, match=r"x\.out:2: not UTF-8 \(byte 0xe9\)"):
        parse(path)


# --- the cache key covers everything that can change a run or its check ------------------------------------


def test_the_cache_key_changes_with_everything_that_can_change_a_run(tmp_path, monkeypatch):
    snippet, out = tmp_path / "s.py", tmp_path / "s.out"
    snippet.write_text("print('x')\n")
    out.write_text(" 0.00 | x\n")
    python = Interpreter("3.11", "3.11.7", "/usr/bin/python3.11", "/usr/lib/python3.11")
    conf = settings()
    monkeypatch.delenv("SNIPPET_FRESH_PROCESSES", raising=False)
    base = cache.key(snippet, out, python, conf)
    assert cache.key(snippet, out, python, conf) == base
    edits = ((snippet, "print('x')  # changed\n", "print('x')\n"), (out, " 0.00 | y\n", " 0.00 | x\n"))
    for path, edited, original in edits:
        path.write_text(edited)
        assert cache.key(snippet, out, python, conf) != base, path.name
        path.write_text(original)
    assert cache.key(snippet, out, dataclasses.replace(python, executable="/opt/python3.11"), conf) != base
    assert cache.key(snippet, out, dataclasses.replace(python, version="3.11.8"), conf) != base
    for field in dataclasses.fields(conf):
        if field.name in cache.NOT_IN_KEY:
            continue
        value = getattr(conf, field.name)
        other = value * 2 + 1 if isinstance(value, int | float) else Path("/elsewhere")
        assert cache.key(snippet, out, python, dataclasses.replace(conf, **{field.name: other})) != base, field.name
    assert set(cache.NOT_IN_KEY) == {"root", "pythons", "configured", "cache_dir"}  # which runs, not how
    monkeypatch.setenv("SNIPPET_FRESH_PROCESSES", "1")
    assert cache.key(snippet, out, python, conf) != base
    monkeypatch.delenv("SNIPPET_FRESH_PROCESSES")
    assert cache.key(snippet, out, python, conf) == base


@pytest.mark.parametrize("engine_file", ["batch.py", "fence.py", "config.py", "child/_snippet_recorder.py"])
def test_the_cache_key_changes_with_every_engine_file(tmp_path, monkeypatch, engine_file):
    engine = tmp_path / "snippet_engine"
    shutil.copytree(cache.ENGINE_DIR, engine, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "ENGINE_DIR", engine)
    before = cache.engine_version()
    with (engine / engine_file).open("a") as file:
        file.write("# edited\n")
    assert cache.engine_version() != before


def test_render_survives_a_snippet_whose_only_versions_are_left_out(monkeypatch):
    """The IndexError of old: no outcome at all, since no version of the snippet is checked."""
    monkeypatch.setattr(fence, "_outcomes", lambda name: [])
    monkeypatch.setattr(config, "settings", lambda: dataclasses.replace(settings(), pythons=(PY,)))
    page = fence.render("home/thirty_seconds.py")
    assert f"recorded on Python {' · '.join(settings().configured[1:])}, not checked in this build" in page


def in_a_thread(coroutine):
    """``asyncio.run`` in a thread of its own: the browser tests' Playwright keeps a loop running in this one."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_record_keeps_trailing_spaces_and_control_characters(tmp_path, monkeypatch):
    from snippet_engine.record import record_many

    monkeypatch.setenv("SNIPPET_CACHE_DIR", str(tmp_path / "cache"))
    snippet = tmp_path / "odd.py"
    snippet.write_text("print('x ')\nprint('a\\rb\\x0cc\\u2028d')\nprint('back\\\\slash')\n")
    assert in_a_thread(record_many([snippet], (PY,))) == {snippet: []}
    text = snippet.with_suffix(".out").read_text(encoding="utf-8")
    assert "|~ x\\x20\n" in text
    assert "|~ a\\x0db\\x0cc\\u2028d\n" in text
    assert "| back\\slash\n" in text
    (outcome,) = in_a_thread(batch.check_many([snippet], (PY,), use_cache=False))
    assert outcome.ok, outcome.problems


TASK_NAMES = ["a | b", "x |", "| y", "|~", "line\nbreak", "cr\rx", "tab\there", "trail ", "", "<b>bold</b> &amp;",
              "back\\slash", "\\x7c", "\u2028", "é ✓"]  # fmt: skip


def test_every_task_name_survives_a_round_trip_through_the_out_file_and_the_timeline(tmp_path):
    import xml.etree.ElementTree as ElementTree

    from snippet_engine import timeline
    from snippet_engine.run import TaskRecord

    path = tmp_path / "tasks.out"
    tasks = [TaskRecord(name, f"work({name!r})", 0.0, 1.0, "done") for name in TASK_NAMES]
    tasks.append(TaskRecord("last", "coro | with a bar and a space ", 0.5, None, None))
    variant = Variant(None, [Line(1.0, "out", "printed")], tasks)
    path.write_text(render(Expected(path, variants=[variant])), encoding="utf-8")
    parsed = parse(path).variants[0].tasks
    assert [(t.name, t.coro, t.how, t.finished) for t in parsed] == [(t.name, t.coro, t.how, t.finished) for t in tasks]
    for line in path.read_text(encoding="utf-8").split("\n")[:-1]:
        assert line == line.rstrip(), repr(line)  # nothing an editor or git would change
        assert line.replace("\t", " ").isprintable(), repr(line)
    assert "0.00 - 1.00 | done | <b>bold</b> &amp; | work('<b>bold</b> &amp;')" in path.read_text(encoding="utf-8")
    picture = timeline.svg(variant)
    ElementTree.fromstring(picture)  # well-formed: no name opened a tag or broke an attribute
    assert "<b>" not in picture
    assert "&lt;b&gt;bold&lt;/b&gt; &amp;amp;" in picture


def test_record_and_check_tasks_whose_names_a_plain_line_cannot_hold(tmp_path, monkeypatch):
    from snippet_engine.record import record_many

    monkeypatch.setenv("SNIPPET_CACHE_DIR", str(tmp_path / "cache"))
    snippet = tmp_path / "named.py"
    snippet.write_text(
        "import asyncio\n\nasync def work():\n    await asyncio.sleep(0)\n\nasync def main():\n"
        f"    for name in {TASK_NAMES!r}:\n"
        "        await asyncio.create_task(work(), name=name)\n\nasyncio.run(main())\n"
    )
    assert in_a_thread(record_many([snippet], (PY,))) == {snippet: []}
    recorded = parse(snippet.with_suffix(".out")).variants[0].tasks
    assert [task.name for task in recorded] == ["Task-1", *TASK_NAMES]
    (outcome,) = in_a_thread(batch.check_many([snippet], (PY,), use_cache=False))
    assert outcome.ok, outcome.problems


def test_record_never_writes_a_time_before_the_start(tmp_path):
    """CPU waits are summed over threads and processes, so they can exceed the time they are taken from."""
    from snippet_engine.record import _earliest
    from snippet_engine.run import TaskRecord

    runs = [Run("3.11.7", [Line(0.0, "out", "False", delay=0.02)], [TaskRecord("Task-1", "main()", 0.01, 0.0, "done")])]
    runs[0].tasks[0].created_delay = runs[0].tasks[0].finished_delay = 0.03
    best = _earliest(runs)
    assert (best.lines[0].time, best.tasks[0].created, best.tasks[0].finished) == (0.0, 0.0, 0.0)
    path = tmp_path / "x.out"
    path.write_text(render(Expected(path, variants=[Variant(None, best.lines, best.tasks)])))
    assert parse(path).variants[0].lines[0].time == 0.0  # a file record writes can be read back


def test_contributing_names_a_real_test_for_every_case():
    """CONTRIBUTING's decision table and "What the engine refuses" name tests that exist."""
    text = (ROOT / "CONTRIBUTING.md").read_text()
    section = text[text.index("## Faithful pages") :]
    named = set(re.findall(r"`(test_\w+)`", section))
    sources = "\n".join(path.read_text() for path in Path(__file__).parent.glob("test_*.py"))
    defined = set(re.findall(r"^def (test_\w+)", sources, re.MULTILINE))
    assert len(named) >= 15
    assert named <= defined, named - defined


def test_recording_some_versions_keeps_what_was_recorded_for_the_others(tmp_path, monkeypatch):
    """`record` with SNIPPET_PYTHONS (or --python) must not drop the other versions' recorded output."""
    from snippet_engine.record import record_many

    monkeypatch.setenv("SNIPPET_CACHE_DIR", str(tmp_path / "cache"))
    snippet = tmp_path / "versions.py"
    snippet.write_text("import sys\nprint(sys.version_info >= (3, 12))\n")
    others = " ".join(settings().configured[1:])
    out = snippet.with_suffix(".out")
    out.write_text(f"@ python {PY}\n 0.00 | stale\n@ python {others}\n 0.00 | True\n")
    assert in_a_thread(record_many([snippet], (PY,))) == {snippet: []}
    assert out.read_text() == f"@ python {PY}\n 0.00 | False\n@ python {others}\n 0.00 | True\n"


def test_a_failing_session_fixture_is_said_in_full_once(tmp_path):
    """Every test that uses a broken session fixture (the strict build) fails; its message is printed once."""
    (tmp_path / "snippets").mkdir()
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    shutil.copy(ROOT / "tests" / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_it.py").write_text(
        "import pytest\n\n@pytest.fixture(scope='session')\ndef built():\n"
        "    raise RuntimeError('the build failed:\\n' + ('a line of ' + 'its log\\n') * 50)\n\n"
        "@pytest.mark.parametrize('n', range(4))\ndef test_uses_it(built, n):\n    pass\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", "test_it.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={key: value for key, value in os.environ.items() if key != "CI"},  # in CI pytest repeats it in full
    )  # fmt: skip
    assert done.stdout.count("4 errors") == 1, done.stdout
    assert done.stdout.count("a line of its log") == 50, done.stdout
    assert done.stdout.count("the same as in test_it.py::test_uses_it[0]") == 3, done.stdout
