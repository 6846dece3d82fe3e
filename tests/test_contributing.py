"""What a contributor meets: the scaffold, CONTRIBUTING's commands, record's messages, serve, pre-commit, templates.

The commands CONTRIBUTING shows are run as written, in a copy of this checkout (its files, as a
clone would have them) with this virtual environment's tools first on PATH, as after README's set-up.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest
import yaml
from test_faithful import PY, clean_env, fence_page, fetch, free_port, in_a_thread, make_project, warnings

from conftest import ROOT
from snippet_engine import navigation, record, scaffold
from snippet_engine.config import settings
from snippet_engine.navigation import NavError, add_page
from snippet_engine.run import Line, Run, TaskRecord

VENV_BIN = str(Path(sys.executable).parent)


def contributing_commands() -> list[str]:
    """The block of commands under "Add a page with a tested sample", one a line."""
    text = (ROOT / "CONTRIBUTING.md").read_text()
    section = text[text.index("## Add a page with a tested sample") :]
    block = re.search(r"^```sh\n(.*?)^```$", section, re.DOTALL | re.MULTILINE)[1]
    return [line for line in block.splitlines() if line.strip()]


def copy_of_checkout(destination: Path) -> Path:
    """The files a clone of this checkout has now (tracked, and new ones not ignored), with no cache or site."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def activated_env(**extra: str) -> dict[str, str]:
    """As after `source .venv/bin/activate`: this environment's tools first on PATH."""
    return clean_env(PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}", **extra)


# --- 2. the scaffold, and CONTRIBUTING's four commands ---------------------------------------------------


@pytest.mark.usefixtures("after_snippet_runs")  # records and serves: not while the suite's snippets are timed
def test_the_four_commands_in_contributing_make_a_tested_page(tmp_path):
    """From a clone with README's set-up done: CONTRIBUTING's commands, as written, give a page with a tested sample."""
    commands = contributing_commands()
    assert 1 <= len(commands) <= 4, commands
    assert not any("&&" in command or ";" in command for command in commands), "one command a line, none chained"
    assert commands[-1].startswith("mkdocs serve"), "the last command shows the page"
    clone = copy_of_checkout(tmp_path / "clone")
    if (ROOT / ".cache").is_dir():  # the suite's passing runs: serve's first build need not run every sample again
        shutil.copytree(ROOT / ".cache", clone / ".cache")
    port = free_port()
    with (clone / "mkdocs.yml").open("a") as config:
        config.write(f"dev_addr: 127.0.0.1:{port}\n")  # this machine is shared: not the default port 8000
    env = activated_env()
    for command in commands[:-1]:
        done = subprocess.run(command, shell=True, cwd=clone, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    page = next(p for p in (clone / "docs").glob("*.md") if not (ROOT / "docs" / p.name).exists())
    snippet = next(p for p in (clone / "snippets").rglob("*.py") if not (ROOT / p.relative_to(clone)).exists())
    name = snippet.relative_to(clone / "snippets").as_posix()
    assert snippet.with_suffix(".out").is_file()
    assert f"```snippet\n{name}\n```" in page.read_text()
    assert yaml.safe_load(page.read_text().split("---")[1])["description"].strip()
    assert f": {page.name}\n" in (clone / "mkdocs.yml").read_text()
    server = subprocess.Popen(
        commands[-1], shell=True, cwd=clone, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/asyncio-together/{page.stem}/"
        shown = fetch(url, lambda text: f'data-snippet="{name}"' in text, seconds=120)
        assert "snippet-error" not in shown
    finally:
        os.killpg(server.pid, 15)
        log = server.communicate(timeout=30)[1]
    assert not warnings(log), log


def test_a_page_goes_into_nav_as_one_line_keeping_comments_and_tags(tmp_path):
    config = tmp_path / "mkdocs.yml"
    original = (ROOT / "mkdocs.yml").read_text()
    config.write_text(original)
    assert add_page(config, "Shared counters", "shared-counters.md", section="Pitfalls") == (
        "- Shared counters: shared-counters.md"
    )
    assert add_page(config, "Odd: a title # with marks", "odd.md") == '- "Odd: a title # with marks": odd.md'
    edited = config.read_text()
    added = [line for line in edited.splitlines() if line not in original.splitlines()]
    assert added == ["      - Shared counters: shared-counters.md", '  - "Odd: a title # with marks": odd.md']
    assert [line for line in original.splitlines() if line not in edited.splitlines()] == []
    nav = navigation.read_nav(edited)
    pitfalls = next(item["Pitfalls"] for item in nav if isinstance(item, dict) and "Pitfalls" in item)
    assert pitfalls[-1] == {"Shared counters": "shared-counters.md"}
    assert nav[-1] == {"Odd: a title # with marks": "odd.md"}
    assert "validator: !!python/name:snippet_engine.fence.validate" in edited


@pytest.mark.parametrize(
    ("text", "section", "message"),
    [
        ("nav:\n  - Home: index.md\n", "Nowhere", "nav has no section 'Nowhere'"),
        ("nav: [index.md]\n", None, "nav is not written as a block"),
        ("site_name: x\n", None, "has no nav list"),
    ],
)
def test_nav_refuses_what_it_cannot_edit_and_leaves_the_file_alone(tmp_path, text, section, message):
    config = tmp_path / "mkdocs.yml"
    config.write_text(text)
    with pytest.raises(NavError, match=message):
        add_page(config, "New", "new.md", section=section)
    assert config.read_text() == text


def test_the_scaffold_refuses_bad_names_and_never_overwrites(monkeypatch, tmp_path):
    project = make_project(tmp_path, {"home/a.py": ("print('a')\n", " 0.00 | a\n")}, {"index.md": "# Home\n"})
    (project / "mkdocs.yml").write_text((project / "mkdocs.yml").read_text() + "nav:\n  - Home: index.md\n")
    monkeypatch.setenv("SNIPPET_PROJECT_ROOT", str(project))
    for name in ("home/a", "Home/b", "home", "home/b-c", "../x/y"):
        with pytest.raises(scaffold.ScaffoldError):
            in_a_thread(scaffold.new_snippet(name))
    assert (project / "snippets/home/a.py").read_text() == "print('a')\n"
    for slug in ("index", "Shared", "a_b"):
        with pytest.raises(scaffold.ScaffoldError):
            scaffold.new_page(slug, "T", "D")
    with pytest.raises(NavError):
        scaffold.new_page("lost", "Lost", "D", section="Nowhere")
    assert not (project / "docs/lost.md").exists(), "all or nothing: no page outside nav"


def test_the_sample_template_passes_lint_and_staggers_its_waits(tmp_path):
    sample = tmp_path / "template.py"
    sample.write_text(scaffold.SAMPLE)
    for command in (["check", "--isolated", "--select", "E,F,W,I,B,UP,SIM,RUF,ASYNC"], ["format", "--check"]):
        done = subprocess.run([sys.executable, "-m", "ruff", *command, "--line-length", "120", str(sample)])
        assert done.returncode == 0
    waits = re.findall(r"step\(\"\w+\", ([\d.]+)\)", scaffold.SAMPLE)
    assert len(waits) == len(set(waits)) >= 2, "no two tasks may finish at the same instant"


# --- 3. record shows what differs, the likely cause and the fix ------------------------------------------


def _run(*lines: tuple[float, str]) -> Run:
    task = TaskRecord("Task-1", "main()", 0.0, 1.0, "done")
    return Run("3.12.1", [Line(t, "out", text) for t, text in lines], [task], returncode=0)


def test_record_shows_the_lines_that_differ_and_names_equal_times_and_the_fix(tmp_path):
    snippet = tmp_path / "race.py"
    expected = record.Expected(tmp_path / "race.out")
    one = _run((0.5, "start"), (1.0, "A done"), (1.0, "B done"))
    other = _run((0.5, "start"), (1.0, "B done"), (1.0, "A done"))
    (message,) = record._refuse(snippet, expected, [one, one, other])
    assert "printed different text in 3 runs on Python 3.12.1" in message
    assert "Runs 1 and 3 differ" in message
    assert (
        "run 1:\n       1.00 | A done\n       1.00 | B done\n    run 3:\n       1.00 | B done\n       1.00 | A done\n"
        in (message)
    )
    assert "two tasks finishing at the same instant (1.00 s)" in message
    assert "Stagger the waits" in message
    assert "start" not in message.split("differ:")[1], "only the lines that differ"


def test_record_names_values_that_change_when_the_text_differs(tmp_path, monkeypatch):
    """A real `record`: random output is refused, showing the two texts, and nothing is written."""
    monkeypatch.setenv("SNIPPET_CACHE_DIR", str(tmp_path / "cache"))
    snippet = tmp_path / "dice.py"
    snippet.write_text("import random\n\nprint('rolled', random.random())\n")
    ((problem,),) = in_a_thread(record.record_many([snippet], (PY,))).values()
    assert re.search(r"run 1:\n +\d+\.\d\d \| rolled 0\.\d+\n    run 2:\n +\d+\.\d\d \| rolled 0\.\d+\n", problem)
    assert "Text that changes from run to run: a random number" in problem
    assert "same instant" not in problem
    assert not snippet.with_suffix(".out").exists()


# --- 4. serve: the box in place of a failing output, and livereload takes it away -------------------------


def _epoch(page: str) -> int:
    return int(re.search(r"livereload\((\d+), \d+\)", page)[1])


def _next_build(base: str, epoch: int) -> int:
    """What the page's livereload script waits for: the server answers with a newer epoch once it rebuilt."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answer = int(urllib.request.urlopen(f"{base}livereload/{epoch}/1", timeout=70).read())
        if answer > epoch:
            return answer
    raise AssertionError("the server never rebuilt")


@pytest.mark.usefixtures("after_snippet_runs")
def test_serve_keeps_serving_a_sample_broken_while_it_runs_and_livereload_clears_the_box(tmp_path):
    """The whole loop: a good page; the sample breaks, the box appears; it is fixed, the output is back."""
    good = "print('ready')\n"
    project = make_project(tmp_path, {"s.py": (good, " 0.00 | ready\n")}, {"index.md": fence_page("s.py")})
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    server = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "--livereload", "-a", f"127.0.0.1:{port}"],
        cwd=project, env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        page = fetch(base, lambda text: 'data-snippet="s.py"' in text, seconds=60)
        assert "snippet-error" not in page
        (project / "snippets" / "s.py").write_text("print('<b>changed</b>')\n")
        epoch = _next_build(base, _epoch(page))  # the open page reloads now
        page = fetch(base, lambda text: "snippet-error" in text)
        assert "&lt;b&gt;changed&lt;/b&gt;" in page
        assert "<b>changed" not in page
        assert server.poll() is None, "the server kept serving"
        (project / "snippets" / "s.py").write_text(good)
        _next_build(base, epoch)
        page = fetch(base, lambda text: "snippet-error" not in text)
        assert 'data-snippet="s.py"' in page
        assert "ready" in page
    finally:
        server.terminate()
        log = server.communicate(timeout=30)[1]
    assert not warnings(log), log
    assert "appear stuck" not in log, log
    assert "Aborted" not in log, log
    assert log.count("snippets/s.out:1: output differs") == 1, log


# --- 5. pre-commit, from the project's own environment, with no network ---------------------------------


def test_pre_commit_hooks_are_local_and_use_the_projects_environment():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    assert {"ruff", "ruff-format", "snippets-changed", "zizmor", "workflow-schema", "dependabot-schema"} <= hooks.keys()
    for hook in hooks.values():
        assert hook["language"] == "unsupported", hook  # run as is: pre-commit installs nothing
        assert hook["entry"].startswith(".venv/bin/"), hook  # README's environment
    requirements = (ROOT / "requirements.txt").read_text()
    for tool in ("pre-commit", "zizmor", "check-jsonschema", "ruff"):
        assert re.search(rf"^{tool}==[\d.]+\s", requirements, re.MULTILINE), f"{tool} is not pinned"


@pytest.mark.usefixtures("after_snippet_runs")
@pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap to take the network away")
def test_pre_commit_runs_with_no_network_and_catches_each_kind_of_problem(tmp_path):
    """In a repository of this project's layout, `pre-commit run` in a network namespace of its own."""
    repo = tmp_path / "repo"
    project = make_project(repo, {"home/a.py": ('print("a")\n', " 0.00 | a\n")}, {"index.md": fence_page("home/a.py")})
    shutil.copy(ROOT / ".pre-commit-config.yaml", project)
    (project / "pyproject.toml").write_text(
        (project / "pyproject.toml").read_text() + "[tool.ruff]\nline-length = 120\n"
    )
    (project / ".venv" / "bin").mkdir(parents=True)
    for tool in ("python", "ruff", "zizmor", "check-jsonschema"):  # README's .venv: this one's tools
        wrapper = project / ".venv" / "bin" / tool
        wrapper.write_text(f'#!/bin/sh\nexec {shlex.quote(str(Path(VENV_BIN) / tool))} "$@"\n')
        wrapper.chmod(0o755)
    (project / ".gitignore").write_text(".venv/\n.cache/\n")
    workflows = project / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(
        "name: ci\non: [pull_request]\npermissions: {}\njobs:\n  test:\n    runs-on: ubuntu-24.04\n"
        "    steps:\n      - run: echo hello\n"
    )
    env = clean_env(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), SNIPPET_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("VIRTUAL_ENV", None)

    def pre_commit(*files: str) -> subprocess.CompletedProcess:
        """As on `git commit` with ``files`` changed (or on every file)."""
        subprocess.run(["git", "add", "-A"], cwd=project, check=True)
        offline = ["bwrap", "--dev-bind", "/", "/", "--unshare-net", "--die-with-parent", "--"]
        which = ["--files", *files] if files else ["--all-files"]
        return subprocess.run(
            [*offline, sys.executable, "-m", "pre_commit", "run", *which, "--color", "never"],
            cwd=project, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    interfaces = subprocess.run(
        ["bwrap", "--dev-bind", "/", "/", "--unshare-net", "--", sys.executable, "-c",
         "import socket; print(*sorted(name for _, name in socket.if_nameindex()))"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert interfaces == ["lo"], f"the hooks must run with no network, found {interfaces}"
    passed = pre_commit()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    for hook in ("ruff check", "ruff format", "check the samples that changed", "zizmor", "workflow schema"):
        assert re.search(rf"{re.escape(hook)}.*Passed", passed.stdout), passed.stdout
    problems = {  # a file changed (or added), the hook that must fail on it, and what it says
        "snippets/home/a.out": (" 0.00 | b\n", "snippets-changed", "output differs"),
        "snippets/home/b.py": ("import os\n", "ruff", "F401"),
        ".github/workflows/ci.yml": (
            (workflows / "ci.yml").read_text().replace("      - run", "      - uses: actions/checkout@v4\n      - run"),
            "zizmor",
            "unpinned-uses",
        ),
        ".github/workflows/odd.yml": (
            "name: odd\non: [pull_request]\njobs:\n  x:\n    steps: 1\n",
            "workflow-schema",
            "Schema validation errors",
        ),
    }
    for name, (text, _, _) in problems.items():
        (project / name).write_text(text)
    failed = pre_commit(*problems)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    said = {part.split("\n", 1)[0]: part for part in failed.stdout.split("- hook id: ")[1:]}
    for hook, message in ((hook, message) for _, hook, message in problems.values()):
        assert message in said.get(hook, ""), f"{hook} did not say {message!r}:\n{failed.stdout}"


def test_pre_commit_checks_the_changed_samples_or_all_when_the_engine_changed(monkeypatch):
    """`check --changed`: a snippet or its .out means that snippet; an engine file or pyproject.toml, every one."""
    import snippet_engine.__main__ as cli
    from snippet_engine.config import discover

    checked = []

    async def fake_check_many(snippets, minors, use_cache):
        checked.append(snippets)
        return []

    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(cli, "check_many", fake_check_many)
    home = ROOT / "snippets" / "home" / "thirty_seconds.py"
    assert cli.main(["check", "--changed", "snippets/home/thirty_seconds.out", str(home)]) == 0
    assert cli.main(["check", "--changed", "snippets/home/thirty_seconds.py", "snippet_engine/run.py"]) == 0
    assert cli.main(["check", "--changed", "pyproject.toml"]) == 0
    assert [[p.resolve() for p in snippets] for snippets in checked] == [[home], discover(), discover()]


# --- 6. templates --------------------------------------------------------------------------------------


def test_the_issue_form_asks_for_page_sample_outputs_and_python():
    form = yaml.safe_load((ROOT / ".github" / "ISSUE_TEMPLATE" / "wrong-output.yml").read_text())
    assert form["name"] == "This sample's output looks wrong"
    assert form["description"].strip()
    ids = {item["id"]: item for item in form["body"] if "id" in item}
    assert {"page", "sample", "expected", "actual", "python"} <= ids.keys()
    for item in form["body"]:
        assert item["type"] in {"markdown", "input", "textarea", "dropdown", "checkboxes"}
        assert "value" in item["attributes"] if item["type"] == "markdown" else "label" in item["attributes"]
    assert len(ids) == len([item for item in form["body"] if "id" in item]), "ids are unique"
    links = yaml.safe_load((ROOT / ".github" / "ISSUE_TEMPLATE" / "config.yml").read_text())["contact_links"]
    assert all(link["url"].startswith("https://github.com/asyncio-together/") for link in links)


def test_the_pull_request_checklist_asks_for_a_recording_a_page_and_a_read_diff():
    checklist = (ROOT / ".github" / "pull_request_template.md").read_text()
    items = re.findall(r"^- \[ \] (.*)$", checklist, re.MULTILINE)
    assert any("snippet_engine record" in item for item in items)
    assert any("on a page" in item for item in items)
    assert any(".out` diff" in item for item in items)


def test_every_file_keeps_the_editorconfig_rules():
    """.editorconfig's [*]: UTF-8, LF, a final newline, no trailing spaces; every file in the repository keeps them."""
    rules = (ROOT / ".editorconfig").read_text()
    for rule in (
        "charset = utf-8",
        "end_of_line = lf",
        "insert_final_newline = true",
        "trim_trailing_whitespace = true",
    ):
        assert rule in rules
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True,
        check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    problems = []
    for name in filter(None, listed):
        path = ROOT / name
        if not path.is_file() or path.is_symlink():
            continue
        data = path.read_bytes()
        if b"\0" in data[:8000] or not data:
            continue  # binary, or empty
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"{name}: not UTF-8")
            continue
        if "\r" in text:
            problems.append(f"{name}: CR line endings")
        if not text.endswith("\n"):
            problems.append(f"{name}: no final newline")
        problems += [
            f"{name}:{n}: trailing spaces" for n, line in enumerate(text.split("\n"), 1) if line != line.rstrip()
        ]
    assert not problems, "\n".join(problems)


def test_security_md_states_the_limits_the_engine_enforces():
    from snippet_engine.expected import MAX_TIMEOUT
    from snippet_engine.run import MAX_LINE, START_UP_LIMIT

    security = (ROOT / "SECURITY.md").read_text()
    conf = settings()
    for figure in (f"({conf.timeout:g} s", f"never more than {MAX_TIMEOUT} s", f"{conf.max_lines:,} lines",
                   f"{conf.max_bytes:,} bytes", f"under {MAX_LINE:,} characters",
                   f"most {START_UP_LIMIT:g} s more"):  # fmt: skip
        assert figure in security, figure
    for promise in ("read-only", "loopback only", "run.environment()", "Report a vulnerability", "UNSANDBOXED"):
        assert promise in security, promise
    for test in re.findall(r"`(test_\w+)`", security):
        assert f"def {test}(" in (ROOT / "tests" / "test_sandbox.py").read_text()


# --- 7. every time CONTRIBUTING states is in its time budget --------------------------------------------


def test_every_time_contributing_states_is_in_the_budget_table():
    """A duration in the prose ("6-9 s", "about 75 s", "a few minutes") is a row of the budget table."""
    text = (ROOT / "CONTRIBUTING.md").read_text()
    budget = text[text.index("## Time budget") : text.index("## How times are checked")]
    prose = text[: text.index("## Time budget")]  # after it: the tolerances, and example times in messages
    prose = re.sub(r"^ *```.*?^ *```$", "", prose, flags=re.DOTALL | re.MULTILINE)  # commands and outputs
    prose = re.sub(r"`[^`]*`", "", prose)  # messages quoted as examples
    settings_table = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["snippet-engine"]
    allowed = {f"{settings_table['timeout']:g} s", "60 s"}  # settings and ceilings, not measurements
    stated = re.findall(r"\b(?:about |in )?(\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)? (?:s|seconds|minutes?))\b", prose)
    stated += re.findall(r"\b(a few (?:seconds|minutes))\b", prose)
    missing = [figure for figure in stated if figure not in allowed and figure not in budget]
    assert not missing, f"times stated in CONTRIBUTING but in no row of its budget table: {missing}"


def test_a_failing_shell_block_says_what_failed_on_every_core(tmp_path: Path) -> None:
    """pytest-codeblocks reports a failed ``sh`` block's exit status as an int, which pytest-xdist cannot read:
    the run ended in INTERNALERROR and never said what failed. The root conftest.py says it instead."""
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "GUIDE.md").write_text("Try:\n\n```sh\necho made it this far; exit 3\n```\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--codeblocks", "-n", "2", "-p", "no:cacheprovider", "GUIDE.md"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    said = done.stdout + done.stderr
    assert "INTERNALERROR" not in said, said[-3000:]
    assert done.returncode == 1, said[-3000:]
    assert "exit status 3 from\necho made it this far; exit 3" in said, said[-3000:]
    assert "made it this far" in said.split("--- stdout", 1)[-1], said[-3000:]
