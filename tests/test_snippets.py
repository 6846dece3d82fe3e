"""One test per snippet and Python version: its output and its timing, checked against its .out file.

Snippets are discovered from snippets/: a new one is tested without touching this file. Every
configured version has its tests; those left out with SNIPPET_PYTHONS are skipped, saying so, and a
missing Python fails one test only, saying how to install it or leave it out.
"""

from __future__ import annotations

import pytest

from conftest import snippet_cases
from snippet_engine.config import settings
from snippet_engine.interpreters import missing

_reported_missing: dict[str, str] = {}  # minor -> the test that failed for it


@pytest.mark.parametrize(("snippet", "minor"), snippet_cases())
def test_snippet(snippet: str, minor: str, snippet_outcomes, request) -> None:
    conf = settings()
    if minor not in conf.pythons:
        pytest.skip(f"Python {minor} left out by SNIPPET_PYTHONS={','.join(conf.pythons)}: not checked in this run")
    if why := missing(minor):
        if minor in _reported_missing:
            pytest.skip(f"Python {minor} was not found (reported once, by {_reported_missing[minor]})")
        _reported_missing[minor] = request.node.nodeid
        pytest.fail(why, pytrace=False)
    outcome = snippet_outcomes[snippet, minor]
    if not outcome.ok:
        pytest.fail("\n".join(outcome.problems), pytrace=False)
