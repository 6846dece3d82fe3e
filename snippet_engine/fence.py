"""The ``snippet`` code fence: a page shows a snippet, its checked output and when each line came.

In a page::

    ```snippet
    gather/concurrent.py
    ```

It is a custom fence of ``pymdownx.superfences`` run through markdown-exec, which
turns a failed check into a warning, so ``mkdocs build --strict`` fails and names the file.
"""

from __future__ import annotations

import html
from typing import Any

from markdown_exec import ExecutionError, base_format

from . import batch
from . import timeline as timelines
from .config import discover, settings
from .confine import outside
from .expected import Variant

OPTIONS = {"timeline"}


def validate(language: str, inputs: dict[str, str], options: dict[str, Any], attrs: dict[str, Any], md: Any) -> bool:
    options["unknown"] = sorted(set(inputs) - OPTIONS)  # reported by format_snippet, so the build fails
    options["timeline"] = inputs.get("timeline", "on") != "off"
    return True


def format_snippet(source: str, language: str, css_class: str, options: dict[str, Any], md: Any, **kwargs: Any) -> str:
    def run(code: str, **_: Any) -> str:
        if options.get("unknown"):
            unknown, known = ", ".join(options["unknown"]), ", ".join(sorted(OPTIONS))
            raise ExecutionError(f"unknown option {unknown} (known: {known})")
        return render(code.strip(), timeline=options.get("timeline", True))

    return base_format(language=language, run=run, code=source, md=md)


def _outcomes(name: str) -> list[batch.Outcome]:
    if reason := outside(name, settings().snippets_dir):
        raise ExecutionError(reason)
    snippet = settings().snippets_dir / name
    if not snippet.is_file():
        raise ExecutionError(
            f"no snippet {name!r} in {settings().snippets_dir.name}/ (the fence names a path below it)"
        )
    if not batch.is_known(snippet):
        batch.check_all(discover())  # run every unchecked snippet at once, not one page at a time
    return batch.check_all([snippet])


def render(name: str, *, timeline: bool = True) -> str:
    """Markdown for one snippet: its source, then its output per group of versions alike."""
    outcomes = _outcomes(name)
    problems = [problem for outcome in outcomes for problem in outcome.problems]
    if problems:
        raise ExecutionError("\n".join(problems))
    snippet = settings().snippets_dir / name
    code = snippet.read_text(encoding="utf-8")
    fence = "`" * max(3, _longest_backtick_run(code) + 1)
    parts = [f'{fence}python title="snippets/{name}"\n{code.rstrip()}\n{fence}\n']
    expected = outcomes[0].expected
    checked = [outcome.minor for outcome in outcomes]
    groups: list[tuple[Variant, list[str]]] = []
    for minor in checked:
        variant = expected.variant_for(minor)
        for seen, minors in groups:
            if seen is variant:
                minors.append(minor)
                break
        else:
            groups.append((variant, [minor]))
    caption = f"Output, checked on Python {' · '.join(checked)}"
    if expected.python:
        caption += f" (needs Python {expected.python} or newer)"
    if len(groups) == 1:
        parts.append(_output_html(name, groups[0][0], caption, timeline=timeline))
    else:
        parts.append(f'<p class="snippet-caption">{html.escape(caption)}; it differs between versions:</p>\n')
        for variant, minors in groups:
            parts.append(f'=== "Python {" · ".join(minors)}"\n\n')
            parts.append(_indent(_output_html(name, variant, None, timeline=timeline)))
    return "\n".join(parts)


def _output_html(name: str, variant: Variant, caption: str | None, *, timeline: bool = True) -> str:
    rows = []
    for line in variant.lines:
        stream = " snippet-stderr" if line.stream == "err" else ""
        label = '<span class="snippet-sr">standard error: </span>' if line.stream == "err" else ""
        rows.append(
            f'<span class="snippet-line{stream}"><span class="snippet-time">{line.time:5.2f} s</span> '
            f"{label}{html.escape(line.text)}</span>"
        )
    head = f'<p class="snippet-caption">{html.escape(caption)}</p>' if caption else ""
    body = "\n".join(rows) if rows else '<span class="snippet-line">(no output)</span>'
    picture = timelines.svg(variant, key=f"{name} {' '.join(variant.versions or ())}") if timeline else ""
    if picture:  # "" when no task was recorded
        picture = f'\n<div class="snippet-timeline" data-search-exclude>\n{picture}\n</div>'
    return (
        f'<div class="snippet-output no-copy" data-snippet="{html.escape(name)}">{head}'
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
