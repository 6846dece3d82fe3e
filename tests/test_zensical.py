"""Zensical, the second builder: the same fence, as faithful and as strict as under MkDocs, and search.

Each test builds a small project of its own (``test_faithful.make_project``, or this site's theme and
overrides around two pages) with this virtual environment's ``zensical``, from the project's folder, as
``zensical build`` is run by hand. ``snippet_engine/builder.py`` says how the fence tells the two builders
apart; ``overrides/partials/search.html`` gives each builder its own search box.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.base import AxeResults
from playwright.sync_api import Browser
from test_browser import SEARCHES_BY_BUILDER, Tab, axe_report
from test_faithful import BAD, clean_env, fence_page, make_project, page_html

from conftest import ROOT, build_with_zensical, offline_context, served

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
    """``zensical build`` in ``project``, with none of this process's project, cache or version settings."""
    return build_with_zensical(project, clean_env(), timeout=120)


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


# Two pages with this site's mkdocs.yml (less its nav), theme, overrides, stylesheets and scripts: what search
# needs, and a page to find.
SEARCH_PAGES = {
    "index.md": "# Home\n\nA small site that Zensical builds, with this site's theme and overrides.\n",
    "gather.md": "# Gather\n\n`asyncio.gather()` runs awaitables at once and collects their results.\n",
}


@pytest.fixture(scope="module")
def zensical_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("zensical-search")
    for folder in ("overrides", "docs/stylesheets", "docs/javascripts"):
        shutil.copytree(ROOT / folder, project / folder)
    (project / "snippets").mkdir()
    for name, text in SEARCH_PAGES.items():
        (project / "docs" / name).write_text(text)
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    (project / "mkdocs.yml").write_text(re.sub(r"^nav:\n(?:[ \t].*\n|\n)*", "", config, flags=re.M))
    build = zensical_build(project)
    assert build.returncode == 0, build.stdout
    return project / "site"


# No transition or animation running, in the page or any shadow root (which document.getAnimations() leaves out).
SETTLED = """() => [document, ...[...document.querySelectorAll('*')].flatMap((e) => e.shadowRoot ? [e.shadowRoot] : [])]
    .every((root) => root.getAnimations().every((animation) => animation.playState !== 'running'))"""


@pytest.mark.browser
def test_search_finds_a_page_by_keyboard_and_axe_finds_nothing(zensical_site: Path, browser: Browser) -> None:
    """Zensical draws its own search dialog (in a shadow root): "/" opens it and focuses its box, typing lists
    the page, with it open axe-core finds no violation, and the header's button opens it again."""
    with served(zensical_site) as url, contextlib.closing(offline_context(browser, url)) as context:
        tab = Tab(context.new_page())  # what it asked for and complained about
        page = tab.page
        with page.expect_response(lambda response: response.url.endswith("/search.json")):
            page.goto(url)
        page.locator('dialog[aria-label="Search"]').wait_for(state="attached")  # Zensical's, closed: ready for "/"
        page.keyboard.press("/")
        search = SEARCHES_BY_BUILDER["zensical"]  # where the browser tests find Zensical's search, box and results
        box = page.locator(search.box)
        box.wait_for(timeout=10_000)
        assert box.evaluate("(input) => input.matches(':focus')"), "'/' does not focus Zensical's search box"
        page.keyboard.type("gather")
        first = page.locator(search.results).first
        first.wait_for(timeout=10_000)
        assert urlsplit(first.get_attribute("href")).path == urlsplit(url).path + "gather/"
        # As the reader sees it, not half faded in: while the dialog's opening transition ran, axe-core saw its
        # "1 result" at #797979 (4.35:1) instead of its colour, rgba(0, 0, 0, 0.54) on white (4.6:1): 3 of 20 runs.
        page.wait_for_function(SETTLED, timeout=10_000)
        results = AxeResults(page.evaluate("() => axe.run(document, {resultTypes: ['violations']})"))
        page.keyboard.press("Escape")
        box.wait_for(state="detached")
        # The header's search is Zensical's button, which opens the same dialog; not Material's box, which
        # Zensical's script never reads (typing there did nothing).
        assert page.locator("input.md-search__input").count() == 0, "Material's dead search box is in the header"
        page.get_by_role("button", name=re.compile(r"^Search\b")).click()  # "Search Ctrl+K", its shortcut shown
        box.wait_for(timeout=10_000)
        assert not results.violations_count, axe_report(results)
        assert not tab.problems(), "\n".join(tab.problems())
