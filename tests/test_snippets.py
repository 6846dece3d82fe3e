"""One test per snippet and Python version: its output and its timing, checked against its .out file.

Snippets are discovered from snippets/: a new one is tested without touching this file.
"""

from __future__ import annotations

import pytest

from conftest import snippet_cases


@pytest.mark.parametrize(("snippet", "minor"), snippet_cases())
def test_snippet(snippet: str, minor: str, snippet_outcomes) -> None:
    outcome = snippet_outcomes[snippet, minor]
    if not outcome.ok:
        pytest.fail("\n".join(outcome.problems), pytrace=False)
