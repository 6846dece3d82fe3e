"""Links that must not rot: every page ever published still answers, and every CPython source link is pinned."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PUBLISHED = Path(__file__).with_name("published_pages.txt")
SOURCE_LINK = re.compile(r"https://github\.com/python/cpython/(?:blob|tree)/(?P<ref>[^/\s)]+)/")
PINNED = re.compile(r"v\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?|[0-9a-f]{40}")  # a release tag or a commit
REFRESH = re.compile(r'<meta http-equiv="refresh" content="\d+;\s*url=(?P<target>[^"]+)"', re.IGNORECASE)


def published_pages() -> list[str]:
    lines = PUBLISHED.read_text(encoding="utf-8").splitlines()
    return [line.strip().lstrip("/") for line in lines if line.strip() and not line.startswith("#")]


def unpinned_source_links(text: str) -> list[str]:
    return [m[0] for m in SOURCE_LINK.finditer(text) if not PINNED.fullmatch(m["ref"])]


def answers(site: Path, page: str, hops: int = 3) -> bool:
    """``page`` (relative to the site root) is built, or redirects to a page that is."""
    index = site / page / "index.html"
    if not index.is_file():
        return False
    refresh = REFRESH.search(index.read_text(encoding="utf-8"))
    if refresh is None:
        return True
    target = (index.parent / refresh["target"].split("#")[0]).resolve()
    if target.suffix == ".html":
        target = target.parent
    return hops > 0 and answers(site, target.relative_to(site.resolve()).as_posix(), hops - 1)


def test_every_page_ever_published_still_answers(built_site):
    missing = [page or "/" for page in published_pages() if not answers(built_site, page)]
    assert not missing, f"published pages that no longer answer (add a redirect): {missing}"


def test_a_removed_page_is_caught(tmp_path):
    (tmp_path / "gather").mkdir()
    (tmp_path / "gather" / "index.html").write_text("<p>here</p>")
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "index.html").write_text('<meta http-equiv="refresh" content="0; url=../gather/">')
    (tmp_path / "gone").mkdir()
    (tmp_path / "gone" / "index.html").write_text('<meta http-equiv="refresh" content="0; url=../nowhere/">')
    assert answers(tmp_path, "gather/")
    assert answers(tmp_path, "old/")
    assert not answers(tmp_path, "gone/")
    assert not answers(tmp_path, "never-built/")


def test_every_cpython_source_link_is_pinned():
    found = {
        path.relative_to(ROOT).as_posix(): bad
        for path in sorted([*(ROOT / "docs").rglob("*.md"), ROOT / "README.md", ROOT / "CONTRIBUTING.md"])
        if (bad := unpinned_source_links(path.read_text(encoding="utf-8")))
    }
    assert not found, f"CPython source links must name a release tag (v3.13.0) or a commit, not a branch: {found}"


def test_an_unpinned_source_link_is_caught():
    assert unpinned_source_links("[x](https://github.com/python/cpython/blob/3.13/Lib/asyncio/tasks.py)")
    assert unpinned_source_links("[x](https://github.com/python/cpython/blob/main/Lib/asyncio/tasks.py#L1)")
    assert not unpinned_source_links("[x](https://github.com/python/cpython/blob/v3.13.0/Lib/asyncio/tasks.py#L1)")
    assert not unpinned_source_links("https://github.com/python/cpython/issues/130033")
