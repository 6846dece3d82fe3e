"""The built site: strict build, every snippet shown whole on a page, no Python that is not a snippet."""

from __future__ import annotations

import html
import re
from pathlib import Path

from conftest import build_site
from snippet_engine.config import discover, label

PYTHON_BLOCK = re.compile(
    r'<div class="language-(?:python|py|pycon|python3) highlight"[^>]*>'
    r'(?:<span class="filename">(?P<title>[^<]*)</span>)?'
    r"<pre>.*?<code>(?P<code>.*?)</code></pre></div>",
    re.DOTALL,
)
SHOWN_OUTPUT = re.compile(r'<div class="snippet-output[^"]*" data-snippet="(?P<name>[^"]+)"[^>]*>')


def pages(site: Path) -> dict[str, str]:
    return {page.relative_to(site).as_posix(): page.read_text(encoding="utf-8") for page in site.rglob("*.html")}


def python_blocks(site: Path) -> list[tuple[str, str | None, str]]:
    found = []
    for page, text in pages(site).items():
        for match in PYTHON_BLOCK.finditer(text):
            code = html.unescape(re.sub(r"<[^>]+>", "", match["code"]))
            found.append((page, match["title"], code))
    return found


def test_every_snippet_is_shown_whole_with_its_output(built_site):
    shown = {title.removeprefix("snippets/"): code for _, title, code in python_blocks(built_site) if title}
    outputs = {m["name"] for text in pages(built_site).values() for m in SHOWN_OUTPUT.finditer(text)}
    for snippet in discover():
        name = label(snippet)
        assert name in shown, f"snippets/{name} is on no page: show it with a ```snippet fence"
        assert shown[name].rstrip("\n") == snippet.read_text().rstrip("\n"), f"snippets/{name} is not shown whole"
        assert name in outputs, f"snippets/{name} is shown without its output"


def test_no_page_has_python_that_is_not_a_snippet(built_site):
    snippets = {label(snippet) for snippet in discover()}
    strays = [
        f"{page}: {code.splitlines()[0] if code.strip() else '(empty)'}"
        for page, title, code in python_blocks(built_site)
        if not title or title.removeprefix("snippets/") not in snippets
    ]
    assert not strays, (
        "Python on a page must be a snippet (snippets/...py shown with a ```snippet fence):\n" + "\n".join(strays)
    )


def test_rebuild_runs_no_snippet_and_gives_the_same_pages(built_site, tmp_path):
    """Nothing changed: the second build takes every run from the cache, and its pages are byte-identical."""
    rebuild = build_site(tmp_path)
    assert " runs) in " not in rebuild.stderr  # batch's "ran N snippets (M runs) in S s" (no logger name is shown)
    first, second = pages(built_site), pages(tmp_path)
    assert first.keys() == second.keys()
    differing = [page for page in first if first[page] != second[page]]
    assert not differing, f"pages differ between two builds: {differing}"


def test_every_page_names_the_licences(built_site):
    """Readers copy the samples: the footer says on what terms (code MIT-0, text CC BY 4.0)."""
    for page, text in pages(built_site).items():
        assert '/LICENSE">MIT-0</a>' in text, f"{page}: no code licence in the footer"
        assert 'creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>' in text, f"{page}: no text licence"


NAV_LINK = re.compile(r'<a href="(?P<href>[^"#]+)" class="md-nav__link')


def unlinked_from_home(site: Path, docs: Path) -> list[str]:
    """Pages (from docs/) that the home page's navigation does not link: more than two clicks away."""
    linked = {href.removeprefix("./") for href in NAV_LINK.findall((site / "index.html").read_text(encoding="utf-8"))}
    wanted = {f"{page.relative_to(docs).with_suffix('').as_posix()}/" for page in docs.rglob("*.md")}
    return sorted(wanted - linked - {"index/"})


def test_every_page_is_two_clicks_from_home(built_site):
    """Home's navigation links every page: one click on a wide screen, two on a phone (the menu, then the page)."""
    missing = unlinked_from_home(built_site, Path(__file__).resolve().parent.parent / "docs")
    assert not missing, f"not in the navigation (mkdocs.yml's nav): {missing}"


def test_a_page_missing_from_the_navigation_is_caught(tmp_path):
    (tmp_path / "docs").mkdir()
    for name in ("index", "gather", "coordination"):
        (tmp_path / "docs" / f"{name}.md").write_text("# x")
    (tmp_path / "index.html").write_text('<a href="." class="md-nav__link"><a href="gather/" class="md-nav__link">')
    assert unlinked_from_home(tmp_path, tmp_path / "docs") == ["coordination/"]
