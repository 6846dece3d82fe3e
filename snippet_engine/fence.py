"""The ``snippet`` code fence: a page shows a snippet, its checked output and when each line came.

In a page::

    ```snippet
    gather/concurrent.py
    ```

It is a custom fence of ``pymdownx.superfences``, its page made through markdown-exec's
``base_format``. MkDocs and Zensical both run it (``builder.py`` tells them apart). The fence
itself decides what a problem does, so both behave the same; it lets no exception out but one
(any other, SuperFences would swallow, and show the fence's text as if nothing were wrong).
On any problem, it

* logs one warning under ``mkdocs.plugins.snippet_engine`` naming the page, the snippet and
  the ``.out`` line: a strict ``mkdocs build`` counts it and fails. Under ``mkdocs serve`` or
  ``zensical serve`` it logs at INFO instead, which strict mode does not count, so the server
  keeps serving;
* puts an escaped error box on the page in place of the output, never the message as Markdown;
* in a strict ``zensical build``, which counts no warning of ours, raises that message as
  ``SuperFencesException`` instead: the build stops there, with exit status 1.

A problem that is the same for every snippet (a missing Python) is logged once per build.
Versions left out with ``SNIPPET_PYTHONS`` are shown with their recorded output, marked
"not checked in this build", and listed in one log line.
"""

from __future__ import annotations

import html
import logging
import traceback
import weakref
from pathlib import Path
from typing import Any

from markdown_exec import base_format
from pymdownx.superfences import SuperFencesException

from . import batch, builder, config
from . import timeline as timelines
from .config import ConfigError, discover, settings, shown
from .confine import outside
from .expected import Expected, ExpectedFileError, Variant, parse, path_for
from .interpreters import missing

OPTIONS = {"timeline"}
UNCHECKED = "not checked in this build"
log = logging.getLogger(builder.LOGGER)


class SnippetProblem(Exception):
    """Why a snippet cannot be shown; ``once``: a problem shared by many snippets, logged once per build."""

    def __init__(self, message: str, *, once: bool = False) -> None:
        super().__init__(message)
        self.once = once


def validate(language: str, inputs: dict[str, str], options: dict[str, Any], attrs: dict[str, Any], md: Any) -> bool:
    options["unknown"] = sorted(set(inputs) - OPTIONS)  # reported by format_snippet, so the build fails
    options["timeline"] = inputs.get("timeline", "on") != "off"
    return True


def format_snippet(source: str, language: str, css_class: str, options: dict[str, Any], md: Any, **kwargs: Any) -> str:
    """The fence's HTML; a problem is logged once and shown in an error box (a strict Zensical build: raised)."""
    name = source.strip()
    build = builder.of(md)
    try:
        if build.project is not None:
            config.use_project(build.project)  # the project being built
        if options.get("unknown"):
            unknown, known = ", ".join(options["unknown"]), ", ".join(sorted(OPTIONS))
            raise SnippetProblem(f"unknown option {unknown} (known: {known})")
        markdown = render(name, timeline=options.get("timeline", True))
        _note_left_out(build)
        return base_format(language=language, run=lambda code, **_: markdown, code=name, md=md)
    except SnippetProblem as problem:
        return _report(build, name, str(problem), once=problem.once)
    except ConfigError as error:  # the same for every snippet: said once
        return _report(build, name, str(error), once=True)
    except Exception as error:  # a bug in the engine, or a file it could not read: still one warning and a box
        return _report(build, name, _engine_error(error))


def _engine_error(error: BaseException) -> str:
    where = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    place = f"{where.filename}:{where.lineno}: " if where else ""
    return f"{place}the engine failed: {type(error).__name__}: {error}"


# What was logged in the current build, kept on the side of MkDocs' config (a new one per build, also in serve).
_logged: dict[int, tuple[Any, set[str]]] = {}


def _first_time(build_config: Any, message: str) -> bool:
    build = id(build_config)
    ref, seen = _logged.get(build, (None, None))
    if seen is None or (ref is not None and ref() is not build_config):
        seen = set()
        _logged.clear()  # one build at a time: forget the previous one
        _logged[build] = (weakref.ref(build_config) if build_config is not None else None, seen)
    if message in seen:
        return False
    seen.add(message)
    return True


def _report(build: builder.Build, name: str, problem: str, *, once: bool = False) -> str:
    logged = f"snippet_engine: {build.page}: snippet {name}: {problem}"
    if build.raise_problems:  # the one way to fail a strict Zensical build (builder.py)
        raise SuperFencesException(logged)
    if once:
        logged = f"snippet_engine: {problem}"
    if not once or _first_time(build.config, problem):
        log.log(logging.INFO if build.serving else logging.WARNING, "%s", logged)
    return error_box(name, problem)


def error_box(name: str, problem: str) -> str:
    """The problem as the page shows it: escaped text in a box, never Markdown or HTML of its own."""
    return (
        '<div class="snippet-error" role="alert">'
        f'<p class="snippet-error-title">snippets/{html.escape(name)}: the output cannot be shown</p>'
        f"<pre><code>{html.escape(problem)}</code></pre></div>\n"
    )


def _note_left_out(build: builder.Build) -> None:
    conf = config.settings()
    if conf.left_out:
        message = (
            f"Python {', '.join(conf.left_out)} left out (SNIPPET_PYTHONS={','.join(conf.pythons)}): "
            f"pages show their recorded output, marked '{UNCHECKED}'"
        )
        if _first_time(build.config, message):
            log.info("snippet_engine: %s", message)


def _outcomes(name: str) -> list[batch.Outcome]:
    if reason := outside(name, settings().snippets_dir):
        raise SnippetProblem(reason)
    snippet = settings().snippets_dir / name
    if not snippet.is_file():
        folder = settings().snippets_dir.name
        raise SnippetProblem(f"no snippet {name!r} in {folder}/ (the fence names a path below it)")
    if not batch.is_known(snippet):
        # Every unchecked snippet at once, not one page at a time; this page waits for its own only.
        batch.in_background(discover()).wait_for(snippet)
    return batch.check_all([snippet])


def problems(outcomes: list[batch.Outcome]) -> list[str]:
    """The outcomes' problems, each said once: a problem alike on several versions is one block naming them all."""
    groups: dict[str, list[str]] = {}
    for outcome in outcomes:
        version = outcome.run.python if outcome.run else None
        for problem in outcome.problems:
            alike = problem.replace(version, "\0") if version else problem
            groups.setdefault(alike, []).append(version or "")
    return [alike.replace("\0", " · ".join(versions)) for alike, versions in groups.items()]


def render(name: str, *, timeline: bool = True) -> str:
    """Markdown for one snippet: its source, then its output per group of versions alike.

    Raises :class:`SnippetProblem` when the output cannot be shown as checked.
    """
    outcomes = _outcomes(name)
    if missing_pythons := [missing(o.minor) for o in outcomes if missing(o.minor)]:
        raise SnippetProblem("\n".join(dict.fromkeys(missing_pythons)), once=True)
    if found := problems(outcomes):
        raise SnippetProblem("\n".join(found))
    snippet = settings().snippets_dir / name
    expected = outcomes[0].expected if outcomes else _expected(snippet)
    checked = [outcome.minor for outcome in outcomes]
    # Left out of this build, and recorded: shown, marked. (One with no recorded output has nothing to show;
    # a build of every version reports it.)
    unchecked = [
        minor
        for minor in config.settings().left_out
        if minor not in checked and expected.runs_on(minor) and expected.variant_for(minor)
    ]
    if not checked and not unchecked:
        raise SnippetProblem(
            f"{shown(expected.path)}: needs Python {expected.python}, and no version it runs on is configured "
            f"({', '.join(config.settings().configured)})"
        )
    code = snippet.read_text(encoding="utf-8")
    fence = "`" * max(3, _longest_backtick_run(code) + 1)
    # Out of the search index, as the outputs are: the index is loaded with every page (its largest file),
    # and the prose names every API a sample uses.
    parts = [f'{fence}{{.python title="snippets/{name}" data-search-exclude=""}}\n{code.rstrip()}\n{fence}\n']
    groups: list[tuple[Variant, list[str]]] = []
    for minor in [m for m in config.settings().configured if m in checked or m in unchecked] or checked:
        variant = expected.variant_for(minor)
        if variant is None:
            raise SnippetProblem(f"{shown(expected.path)}: no expected output for Python {minor}")
        for seen, minors in groups:
            if seen is variant:
                minors.append(minor)
                break
        else:
            groups.append((variant, [minor]))
    said = []
    if checked:
        said.append(f"checked on Python {' · '.join(checked)}")
    if unchecked:
        said.append(f"recorded on Python {' · '.join(unchecked)}, {UNCHECKED}")
    caption = f"Output, {'; '.join(said)}"
    if expected.python:
        caption += f" (needs Python {expected.python} or newer)"
    if len(groups) == 1:
        variant, minors = groups[0]
        is_checked = any(minor in checked for minor in minors)
        parts.append(_output_html(name, variant, caption, timeline=timeline, checked=is_checked))
    else:
        parts.append(f'<p class="snippet-caption">{html.escape(caption)}; it differs between versions:</p>\n')
        for variant, minors in groups:
            left = [minor for minor in minors if minor not in checked]
            title = f"Python {' · '.join(minors)}"
            if left:
                title += f" ({UNCHECKED})" if left == minors else f" ({' · '.join(left)} {UNCHECKED})"
            parts.append(f'=== "{title}"\n\n')
            parts.append(_indent(_output_html(name, variant, None, timeline=timeline, checked=left != minors)))
    return "\n".join(parts)


def _expected(snippet: Path) -> Expected:
    """The ``.out`` file, for a snippet none of whose versions is checked in this build."""
    try:
        return parse(path_for(snippet))
    except FileNotFoundError:
        raise SnippetProblem(f"{shown(snippet)}: no expected output ({path_for(snippet).name})") from None
    except ExpectedFileError as error:
        raise SnippetProblem(str(error)) from None


def _output_html(
    name: str, variant: Variant, caption: str | None, *, timeline: bool = True, checked: bool = True
) -> str:
    rows = []  # the ▶ Replay (docs/javascripts/replay.js) reads each line's time from its .snippet-time
    for line in variant.lines:
        stream = " snippet-stderr" if line.stream == "err" else ""
        label = '<span class="snippet-sr">standard error: </span>' if line.stream == "err" else ""
        rows.append(
            f'<span class="snippet-line{stream}">'
            f'<span class="snippet-time">{line.time:5.2f} s</span> '
            f"{label}{html.escape(line.text)}</span>"
        )
    head = f'<p class="snippet-caption">{html.escape(caption)}</p>' if caption else ""
    if not checked:
        head += f'<p class="snippet-badge">{UNCHECKED}</p>'
    body = "\n".join(rows) if rows else '<span class="snippet-line">(no output)</span>'
    picture = timelines.svg(variant, key=f"{name} {' '.join(variant.versions or ())}") if timeline else ""
    if picture:  # "" when no task was recorded
        picture = f'\n<div class="snippet-timeline" data-search-exclude>\n{picture}\n</div>'
    unchecked = "" if checked else " snippet-unchecked"
    return (
        f'<div class="snippet-output no-copy{unchecked}" data-snippet="{html.escape(name)}" data-search-exclude>{head}'
        f"<pre><code>{body}</code></pre>{picture}</div>\n"
    )


def _indent(text: str) -> str:
    return "".join(f"    {line}" if line.strip() else line for line in text.splitlines(keepends=True)) + "\n"


def _longest_backtick_run(text: str) -> int:
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return longest
