"""Add a page to ``nav`` in ``mkdocs.yml`` by inserting one line, so its comments, quoting and tags stay as written.

A YAML round trip would drop the comments and rewrite ``!!python/name:`` tags, so the file is
edited as text: one ``- Title: page.md`` line goes after the last entry of ``nav`` (or of one of
its sections). The result is then read as YAML and must be the old ``nav`` with exactly that entry
added; anything else is refused, leaving the file as it was, with a message saying what to add by hand.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml


class NavError(RuntimeError):
    """``nav`` could not be edited safely; the message says what to add by hand."""


class _Loader(yaml.SafeLoader):
    """Reads mkdocs.yml as data: tags such as ``!!python/name:`` and ``!ENV`` become None."""


_Loader.add_multi_constructor("", lambda loader, suffix, node: None)

_KEY = re.compile(r"^(?P<indent> *)- (?P<rest>.*)$")


def read_nav(text: str) -> list | None:
    return (yaml.load(text, Loader=_Loader) or {}).get("nav")


def entry_line(title: str, page: str) -> str:
    """``Title: page.md``, quoted where YAML would read the plain title as something else."""
    for key in (title, json.dumps(title)):  # a JSON string is a YAML double-quoted scalar
        line = f"{key}: {page}"
        try:
            if yaml.safe_load(f"- {line}") == [{title: page}]:
                return line
        except yaml.YAMLError:
            continue
    raise NavError(f"cannot write the title {title!r} in YAML")


def add_page(config: Path, title: str, page: str, section: str | None = None) -> str:
    """Add ``- title: page`` to the nav of ``config`` (at the end, or at the end of ``section``); return the line."""
    text = config.read_text(encoding="utf-8")
    by_hand = f"add `- {title}: {page}` to nav in {config.name} yourself"
    before = read_nav(text)
    if not isinstance(before, list):
        raise NavError(f"{config.name} has no nav list; {by_hand}")
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(r"nav:\s*(#.*)?$", line)), None)
    if start is None:
        raise NavError(f"{config.name}: nav is not written as a block (`nav:` on a line of its own); {by_hand}")
    end = start + 1  # the block: every line up to the next top-level key
    while end < len(lines) and (
        not lines[end].strip() or lines[end].startswith((" ", "#", "-")) or lines[end].lstrip().startswith("#")
    ):
        end += 1
    items = [(i, m) for i in range(start + 1, end) if (m := _KEY.match(lines[i].rstrip("\n")))]
    if not items:
        raise NavError(f"{config.name}: nav has no entries written one per line; {by_hand}")
    if section is None:
        indent = items[0][1]["indent"]
        after = max(i for i, _ in items)
        expected = [*before, {title: page}]
    else:
        heading = next((i for i, m in items if _section_title(m["rest"]) == section), None)
        if heading is None:
            sections = [t for _, m in items if (t := _section_title(m["rest"]))]
            raise NavError(f"nav has no section {section!r} (it has: {', '.join(sections)})")
        own = len(_KEY.match(lines[heading])["indent"])
        children = []
        for i, m in items:
            if i > heading:
                if len(m["indent"]) <= own:
                    break  # the next section
                children.append((i, m))
        if not children:
            raise NavError(f"nav section {section!r} has no entries written one per line; {by_hand}")
        indent = children[0][1]["indent"]
        after = children[-1][0]
        while after + 1 < end and lines[after + 1].strip() and _indent(lines[after + 1]) > len(indent):
            after += 1  # the last child's own continuation lines
        expected = _added_to_section(before, section, {title: page})
    if after + 1 == len(lines) and not lines[after].endswith("\n"):
        lines[after] += "\n"
    line = f"{indent}- {entry_line(title, page)}\n"
    lines.insert(after + 1, line)
    edited = "".join(lines)
    try:
        after_nav = read_nav(edited)
    except yaml.YAMLError as error:
        raise NavError(f"adding the line would break {config.name} ({error}); {by_hand}") from None
    if after_nav != expected:
        raise NavError(f"{config.name}: nav is laid out in a way this command does not know; {by_hand}")
    config.write_text(edited, encoding="utf-8")
    return line.strip()


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _section_title(rest: str) -> str | None:
    """The title of a ``- Title:`` line that opens a section (no page after the colon), else None."""
    try:
        value = yaml.safe_load(f"- {rest}")
    except yaml.YAMLError:
        return None
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict) and len(value[0]) == 1:
        ((key, page),) = value[0].items()
        return str(key) if page is None else None
    return None


def _added_to_section(nav: list, section: str, entry: dict) -> list:
    result = []
    for item in nav:
        if isinstance(item, dict) and len(item) == 1 and section in item and isinstance(item[section], list):
            item = {section: [*item[section], entry]}
        result.append(item)
    return result
