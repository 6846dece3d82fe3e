"""Which site builder runs the ``snippet`` fence, MkDocs or Zensical, and what the fence learns from it.

Both run the fence as a custom fence of ``pymdownx.superfences``, configured in ``mkdocs.yml``. They
differ in how a fence finds out about the build, and in how a problem fails a strict one:

* **MkDocs** gives each page's Markdown a ``relpath`` tree processor holding its config and the
  page. A strict build counts the warnings logged under ``mkdocs.*`` and fails at its end, so the
  fence logs one warning per problem. ``mkdocs serve`` imports ``mkdocs.commands.serve``, which a
  build never does.
* **Zensical** (0.0.73) gives it a ``rendering_context`` preprocessor
  (``zensical.extensions.context``) holding its config (``root_dir``, ``docs_dir``, ``strict``,
  which it reads from ``mkdocs.yml`` too) and the page. It counts no Python warning: its build
  ends "No issues found", status 0, whatever was logged. What does end it, with status 1 and the
  message, is a fence raising ``SuperFencesException``, the one exception SuperFences lets through.
  So a strict Zensical build stops at the first problem, and says it. ``zensical serve`` gets
  ``strict`` too, from ``mkdocs.yml``, but says it does not support it: while serving, a problem is
  a box on the page, as under ``mkdocs serve``. It is serving when its ``serve`` command's function
  is on the main thread's stack (pages are rendered on other threads, called from Rust).
"""

from __future__ import annotations

import logging
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import shown

LOGGER = "mkdocs.plugins.snippet_engine"  # MkDocs shows its plugins' loggers, and counts their warnings


@dataclass(frozen=True)
class Build:
    """What the fence knows of the build it runs in."""

    project: Path | None  # the folder of the config being built, when the builder says
    page: str  # the page's source as the log names it ("docs/gather.md"), or "a page"
    config: Any  # the builder's config for this build, which keys "said once per build"; or None
    serving: bool  # `mkdocs serve` or `zensical serve`: a problem is said at INFO, and shown
    raise_problems: bool  # a strict Zensical build: a problem must end it (see the module's docstring)


def of(md: Any) -> Build:
    """The build running ``md``, a page's ``Markdown`` instance."""
    try:
        relpath = md.treeprocessors["relpath"]
        docs = Path(relpath.config["docs_dir"]) / relpath.file.src_uri
        config_file = relpath.config.get("config_file_path")
        project = Path(config_file).parent if config_file else None
        return Build(project, shown(docs), relpath.config, _mkdocs_serving(), False)
    except (AttributeError, KeyError, TypeError):
        pass
    if context := _zensical_context(md):
        root = Path(context.config["root_dir"])
        docs = root / context.config.get("docs_dir", "docs") / context.page.path
        _show_log()
        serving = _zensical_serving()
        strict = bool(context.config.get("strict")) and not serving
        return Build(root, shown(docs), None, serving, strict)
    return Build(None, "a page", None, _mkdocs_serving(), False)


def _show_log() -> None:
    """Show the engine's log as MkDocs does ("INFO    -  ran 3 snippets ..."): Zensical shows no INFO of ours."""
    logger = logging.getLogger(LOGGER)
    if not any(isinstance(handler, _LogHandler) for handler in logger.handlers):
        handler = _LogHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False  # said once, whatever Zensical does with the root logger


class _LogHandler(logging.StreamHandler):
    """Ours, so that it is added once per process, whatever else is there."""


def _mkdocs_serving() -> bool:
    return "mkdocs.commands.serve" in sys.modules


def _zensical_context(md: Any) -> Any:
    """Zensical's ``rendering_context`` preprocessor of ``md`` (its page and config), or None."""
    preprocessors = getattr(md, "preprocessors", None)
    if preprocessors is None or "rendering_context" not in preprocessors:
        return None
    return preprocessors["rendering_context"]


def _zensical_serving() -> bool:
    command = getattr(sys.modules.get("zensical.main"), "execute_serve", None)  # a click command
    code = getattr(getattr(command, "callback", None), "__code__", None)
    frame = sys._current_frames().get(threading.main_thread().ident or 0)
    while frame is not None:
        if frame.f_code is code:
            return True
        frame = frame.f_back
    return False
