"""Zensical, the second builder: the same fence, as faithful and as strict as under MkDocs.

Each test builds a small project of its own (``test_faithful.make_project``) with this virtual
environment's ``zensical``, from the project's folder, as ``zensical build`` is run by hand.
``snippet_engine/builder.py`` says how the fence tells the two builders apart.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_faithful import BAD, clean_env, fence_page, make_project, page_html

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
