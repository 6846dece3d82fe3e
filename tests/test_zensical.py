"""Zensical, the second builder: the same fence, as faithful and as strict as under MkDocs.

Each test builds a small project of its own (``test_faithful.make_project``) with this virtual
environment's ``zensical``, from the project's folder, as ``zensical build`` is run by hand.
``snippet_engine/builder.py`` says how the fence tells the two builders apart.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_faithful import BAD, clean_env, fence_page, make_project, page_html, serve_a_box_then_its_fix

from conftest import ROOT

pytestmark = pytest.mark.usefixtures("after_snippet_runs")  # builds of their own: after the suite's runs
# Broken pages, and what the message about each says (the same cases as the MkDocs build's test).
BROKEN = {
    "differs": "snippet differs.py: snippets/differs.out:1: output differs",
    "late": "snippet late.py: snippets/late.out:1: 'now' appeared at 0.0",
    "not_utf8": "snippet not_utf8.py: snippets/not_utf8.out:2: not UTF-8 (byte 0xff)",
    "option": "snippet fine.py: unknown option nope",
    "missing": "snippet gone.py: no snippet 'gone.py' in snippets/",
}


def zensical_build(project: Path) -> subprocess.CompletedProcess:
    """``zensical build`` in ``project`` (it writes ``site/`` there: it has no --site-dir); its log in stdout."""
    return subprocess.run(
        [sys.executable, "-m", "zensical", "build"],
        cwd=project, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120,
    )  # fmt: skip


def broken_project(directory: Path, *, strict: bool) -> Path:
    snippets = {name: BAD[name] for name in ("differs.py", "late.py", "not_utf8.py", "fine.py")}
    pages = {f"{page}.md": fence_page(f"{page}.py") for page in ("differs", "late", "not_utf8")}
    pages["option.md"] = '# Option\n\n```snippet nope="1"\nfine.py\n```\n'
    pages["missing.md"] = fence_page("gone.py")
    pages["index.md"] = fence_page("fine.py")
    project = make_project(directory, snippets, pages)
    if not strict:  # as `mkdocs build --no-strict`: Zensical has no such option, and reads strict from mkdocs.yml
        config = project / "mkdocs.yml"
        config.write_text(config.read_text().replace("strict: true", "strict: false"))
    return project


def test_a_strict_build_fails_naming_the_page_the_snippet_and_the_line(tmp_path):
    """``strict: true`` in mkdocs.yml (Zensical reads it): the first broken fence ends the build, saying why."""
    build = zensical_build(broken_project(tmp_path, strict=True))
    assert build.returncode == 1, build.stdout
    said = re.findall(r"SuperFencesException: snippet_engine: docs/(\w+)\.md: (.*)", build.stdout)
    assert said, build.stdout
    for page, message in said:
        assert message.startswith(BROKEN[page]), build.stdout


def test_a_build_that_is_not_strict_shows_every_problem_in_a_box_and_says_it(tmp_path):
    build = zensical_build(broken_project(tmp_path, strict=False))
    assert build.returncode == 0, build.stdout
    for page, message in BROKEN.items():
        assert f"WARNING -  snippet_engine: docs/{page}.md: {message}" in build.stdout, build.stdout
        shown = page_html(tmp_path, page)
        assert '<div class="snippet-error" role="alert">' in shown, page
        assert "<p><code>snippet" not in shown, page  # not SuperFences' fallback
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page_html(tmp_path, "differs")
    assert "<script>alert" not in page_html(tmp_path, "differs")
    assert "snippet-error" not in page_html(tmp_path, "")


def test_a_cold_build_runs_each_sample_once_and_a_rebuild_runs_none(tmp_path):
    """``a.py`` is on two pages: one run (one Python here), as under MkDocs; then nothing changed, nothing runs."""
    project = make_project(
        tmp_path,
        {"a.py": ("print('a')\n", " 0.00 | a\n"), "b.py": ("print('b')\n", " 0.00 | b\n")},
        {"index.md": fence_page("a.py"), "two.md": fence_page("a.py", "b.py")},
    )
    cold = zensical_build(project)
    assert cold.returncode == 0, cold.stdout
    assert re.findall(r"INFO    -  ran (\d+) snippets \((\d+) runs\)", cold.stdout) == [("2", "2")], cold.stdout
    assert 'data-snippet="a.py"' in page_html(project, "")
    assert 'data-snippet="b.py"' in page_html(project, "two")
    again = zensical_build(project)
    assert again.returncode == 0, again.stdout
    assert " runs) in " not in again.stdout, again.stdout


def test_serve_shows_the_box_keeps_serving_and_drops_it_when_fixed(tmp_path):
    """``zensical serve`` reads ``strict: true`` from mkdocs.yml too, yet a problem is a box, not the end of it."""
    log = serve_a_box_then_its_fix(tmp_path, "zensical")
    assert "SuperFencesException" not in log, log
    assert "INFO    -  snippet_engine: docs/index.md: snippet s.py: snippets/s.out:1: output differs" in log, log


def test_the_site_builds_with_zensical_every_sample_checked(tmp_path):
    """This site, copied as a clone has it, with the suite's passing runs: a strict build, every fence's output."""
    from test_contributing import copy_of_checkout

    clone = copy_of_checkout(tmp_path / "clone")
    if (ROOT / ".cache" / "snippet-runs").is_dir():  # the suite's passing runs: nothing need run again
        shutil.copytree(ROOT / ".cache" / "snippet-runs", clone / ".cache" / "snippet-runs")
    build = zensical_build(clone)
    assert build.returncode == 0, build.stdout
    fences = {
        page.relative_to(clone / "docs").with_suffix(""): re.findall(
            r"^```snippet.*\n(.+)\n```$", page.read_text(), re.M
        )
        for page in (clone / "docs").glob("*.md")
    }
    assert sum(map(len, fences.values())) >= 100, fences
    for page, names in fences.items():
        built = page_html(clone, "" if page.name == "index" else page.as_posix())
        assert "snippet-error" not in built, page
        for name in names:
            assert f'data-snippet="{name}"' in built, (page, name)
