"""The templates in ``overrides/partials`` are copies of a builder's own partial with one stated change each.

MkDocs (Material for MkDocs) and Zensical both read ``overrides/`` (``custom_dir``). Where their partials
differ, as ``search.html`` does, the override has a branch for each (Zensical sets ``generator``, MkDocs
never does). Each branch is compared here with the partial of the version installed, so when a new
release changes its partial, the copy is made again on purpose instead of drifting unnoticed.
"""

from __future__ import annotations

import re
from pathlib import Path

import material
import pytest
import zensical

from conftest import ROOT

OVERRIDES = ROOT / "overrides" / "partials"
BUILDERS = {
    "material": Path(material.__file__).parent / "templates" / "partials",
    "zensical": Path(zensical.__file__).parent / "templates" / "partials",
}
ZENSICAL_BRANCH = re.compile(
    r'\{%- if generator is defined and "zensical" in generator -%\}(?P<zensical>.*?)'
    r"\{%- else -%\}(?P<material>.*?)\{%- endif -%\}",
    re.S,
)
SEARCH_NAME = """role="dialog" aria-label="{{ lang.t('search') }}">"""
# (override, builder): what ours changes in the builder's own partial, as (their text, ours).
CHANGES = {
    ("search.html", "material"): [('role="dialog">', SEARCH_NAME)],  # axe: aria-dialog-name
    ("search.html", "zensical"): [],  # Zensical's own, which names its dialog
    ("source.html", "material"): [(' data-md-component="source"', "")],  # no call to the GitHub API
    ("source.html", "zensical"): [(' data-md-component="source"', "")],
}


def _plain(template: str) -> str:
    """The template without Jinja comments and blank lines: what renders."""
    template = re.sub(r"\{#-?.*?-?#\}", "", template, flags=re.S)
    return "\n".join(line.rstrip() for line in template.splitlines() if line.strip())


def ours_for(name: str, builder: str) -> str:
    """The part of ``overrides/partials/<name>`` that ``builder`` renders."""
    text = (OVERRIDES / name).read_text(encoding="utf-8")
    branches = ZENSICAL_BRANCH.search(text)
    return _plain(branches[builder] if branches else text)


def drift(name: str, builder: str, theirs: str) -> str | None:
    """What differs between our copy and ``theirs`` with our stated changes made, or None."""
    expected = _plain(theirs)
    for before, after in CHANGES[(name, builder)]:
        if before not in expected:
            return f"{builder}'s {name} no longer has {before!r}, which ours changes: copy it again"
        expected = expected.replace(before, after)
    ours = ours_for(name, builder)
    if ours == expected:
        return None
    lines = zip(ours.splitlines(), expected.splitlines(), strict=False)
    shown = "\n".join(f"  ours:   {a}\n  theirs: {b}" for a, b in lines if a != b)
    return f"overrides/partials/{name} ({builder}'s part) is not {builder}'s own with the stated change:\n{shown}"


def test_every_override_is_listed_for_both_builders() -> None:
    overrides = {path.name for path in OVERRIDES.glob("*.html")}
    assert {(name, builder) for name in overrides for builder in BUILDERS} == set(CHANGES)


@pytest.mark.parametrize(("name", "builder"), CHANGES, ids=[f"{n}-{b}" for n, b in CHANGES])
def test_each_override_is_the_builders_own_partial_with_its_stated_change(name: str, builder: str) -> None:
    problem = drift(name, builder, (BUILDERS[builder] / name).read_text(encoding="utf-8"))
    assert problem is None, problem


@pytest.mark.parametrize(("name", "builder"), CHANGES, ids=[f"{n}-{b}" for n, b in CHANGES])
def test_a_partial_changed_upstream_is_caught(name: str, builder: str) -> None:
    """As when a new release of the builder adds an attribute to its partial."""
    theirs = (BUILDERS[builder] / name).read_text(encoding="utf-8")
    changed = re.sub(r'class="([^"]*)"', r'class="\1" data-new', theirs, count=1)
    assert changed != theirs
    assert drift(name, builder, changed) is not None
