"""Start a page or a sample from a template: ``python -m snippet_engine page`` and ``new``.

``page SLUG TITLE --description ...`` writes ``docs/SLUG.md`` with its front matter and adds it
to ``nav`` in ``mkdocs.yml``. ``new FOLDER/NAME`` writes ``snippets/FOLDER/NAME.py`` from a
template that passes every check, records its ``.out`` on every Python, adds the fence to the
end of the page whose snippets live in FOLDER (``docs/FOLDER-with-dashes.md``, ``index.md`` for
``home``) and prints the fence. Nothing that exists is overwritten.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from .config import label, settings, shown
from .expected import path_for
from .navigation import add_page
from .record import record_many

SAMPLE = """\
import asyncio


async def step(name: str, seconds: float) -> str:
    await asyncio.sleep(seconds)  # stands in for the work your page is about
    print(f"{name} done")
    return name


async def main() -> None:
    # Waits of different lengths: two lines printed at the same instant could come in either order.
    results = await asyncio.gather(step("first", 0.2), step("second", 0.4))
    print(results)


if __name__ == "__main__":
    asyncio.run(main())
"""

PAGE = """\
---
description: {description}
---

# {title}

"""

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_NAME = re.compile(r"[a-z][a-z0-9_]*")
HOME = "home"  # the snippets of docs/index.md


class ScaffoldError(ValueError):
    """Refused before anything was written; the message says why."""


def folder_for(slug: str) -> str:
    """The snippet folder of a page: its file name in snake_case (``create-task`` → ``create_task``)."""
    return HOME if slug == "index" else slug.replace("-", "_")


def page_for(folder: str) -> Path:
    return settings().root / "docs" / ("index.md" if folder == HOME else folder.replace("_", "-") + ".md")


def fence(snippet: Path) -> str:
    return f"```snippet\n{label(snippet)}\n```\n"


def new_page(slug: str, title: str, description: str, section: str | None = None) -> list[str]:
    """Write ``docs/<slug>.md`` and add it to nav; return what to tell the contributor."""
    if not _SLUG.fullmatch(slug) or slug == "index":
        raise ScaffoldError(f"{slug!r}: a page's name is lower case words joined by dashes, such as shared-counters")
    if not description.strip() or "\n" in description:
        raise ScaffoldError("--description: one line, for search engines and link previews")
    root = settings().root
    page = root / "docs" / f"{slug}.md"
    if page.exists():
        raise ScaffoldError(f"{shown(page)} exists already")
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(PAGE.format(description=_yaml_scalar(description.strip()), title=title), encoding="utf-8")
    try:
        line = add_page(root / "mkdocs.yml", title, page.relative_to(root / "docs").as_posix(), section)
    except Exception:
        page.unlink()  # all or nothing
        raise
    return [
        f"wrote {shown(page)}, and `{line}` in nav in mkdocs.yml",
        f"add a sample to it: python -m snippet_engine new {folder_for(slug)}/<name>",
    ]


def _yaml_scalar(text: str) -> str:
    """``text`` as front matter writes it: plain where YAML reads it back the same, else quoted."""
    try:
        if yaml.safe_load(f"description: {text}") == {"description": text}:
            return text
    except yaml.YAMLError:
        pass
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


async def new_snippet(name: str) -> tuple[list[str], list[str]]:
    """Write the sample ``name`` (``folder/name``), record it and show it on its page: (said, problems)."""
    conf = settings()
    name = name.removeprefix("snippets/").removesuffix(".py")
    folder, _, stem = name.partition("/")
    if not (_NAME.fullmatch(folder) and _NAME.fullmatch(stem)):
        raise ScaffoldError(
            f"{name!r}: name a sample FOLDER/NAME, the page's folder and what it shows in snake_case, "
            "such as shared_counters/two_workers"
        )
    snippet = conf.snippets_dir / folder / f"{stem}.py"
    if snippet.exists() or path_for(snippet).exists():
        raise ScaffoldError(f"{shown(snippet)} exists already: edit it, then `python -m snippet_engine record` it")
    snippet.parent.mkdir(parents=True, exist_ok=True)
    snippet.write_text(SAMPLE, encoding="utf-8")
    said = [f"wrote {shown(snippet)}"]
    problems = (await record_many([snippet], conf.pythons))[snippet]
    if problems:
        return said, [*problems, f"fix it, then: python -m snippet_engine record {shown(snippet)}"]
    said.append(f"recorded {shown(path_for(snippet))} on Python {', '.join(conf.pythons)}: read it")
    page = page_for(folder)
    text = fence(snippet)
    if page.exists() and f"\n{label(snippet)}\n" not in page.read_text(encoding="utf-8"):
        existing = page.read_text(encoding="utf-8")
        page.write_text(existing.rstrip("\n") + "\n\n" + text, encoding="utf-8")
        said.append(f"added its fence at the end of {shown(page)}; move it to where the prose needs it:")
    elif page.exists():
        said.append(f"{shown(page)} shows it already:")
    else:
        slug = page.stem if folder != HOME else "index"
        said.append(
            f"paste this into {shown(page)} (no such page yet: python -m snippet_engine page {slug} TITLE "
            "--description TEXT):"
        )
    said.append(text.rstrip("\n"))
    return said, []
