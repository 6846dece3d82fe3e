"""Shared fixtures: every snippet is run once, all at once, in the background from collection on."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from snippet_engine.batch import Outcome, applicable, check_all
from snippet_engine.config import discover, label, settings

ROOT = Path(__file__).resolve().parent.parent


class _Batch(threading.Thread):
    """The snippet runs, started as soon as the tests are collected, so other tests go on meanwhile."""

    def __init__(self, snippets: list[Path]) -> None:
        super().__init__(daemon=True, name="snippet-batch")
        self.snippets = snippets
        self.outcomes: dict[tuple[str, str], Outcome] = {}
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for outcome in check_all(self.snippets, use_cache=False):
                self.outcomes[outcome.label, outcome.minor] = outcome
        except BaseException as error:  # reported by the tests that need the batch
            self.error = error


_batch: _Batch | None = None


def snippet_cases() -> list:
    return [
        pytest.param(label(snippet), minor, id=f"{label(snippet)}-{minor}")
        for snippet in discover()
        for minor in applicable(snippet, settings().pythons)
    ]


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected what they deselect
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    global _batch
    waiting = [item for item in items if _needs_batch(item)]
    if waiting:
        # Only the selected snippets (`-k gather/`), unless a test of the whole site needs them all.
        chosen = {item.callspec.params["snippet"] for item in waiting if item.originalname == "test_snippet"}
        everything = any(item.originalname != "test_snippet" for item in waiting)
        snippets = [s for s in discover() if everything or label(s) in chosen]
        _batch = _Batch(snippets)
        _batch.start()
        # Tests that don't wait for the batch go first, while it runs.
        items.sort(key=_needs_batch)


def _needs_batch(item: pytest.Item) -> bool:
    return "snippet_outcomes" in getattr(item, "fixturenames", ())


@pytest.fixture(scope="session")
def snippet_outcomes() -> dict[tuple[str, str], Outcome]:
    assert _batch is not None
    _batch.join()
    if _batch.error:
        raise _batch.error
    return _batch.outcomes


@pytest.fixture(scope="session")
def built_site(snippet_outcomes, tmp_path_factory) -> Path:
    """The site, built strictly after the snippet runs (so it takes them from the cache)."""
    site = tmp_path_factory.mktemp("site")
    build_site(site)
    return site


def build_site(site: Path) -> subprocess.CompletedProcess:
    """``mkdocs build --strict`` of this project into ``site``; a failure fails the test with MkDocs' log."""
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if build.returncode:
        pytest.fail(f"mkdocs build --strict failed:\n{build.stderr}", pytrace=False)
    return build
