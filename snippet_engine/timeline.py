"""A picture of one run: a row per asyncio task, a bar from its creation to its finish, a mark per printed line.

Drawn from the checked expected output (a :class:`~snippet_engine.expected.Variant` of the ``.out``
file, which the engine compared with the real run), so a page is the same for the same commit.
It is inline SVG without script: colours come from classes styled in
``docs/stylesheets/timeline.css`` (Material's light and dark palettes), sizes from the ``viewBox``,
so it scales to the page; a ``<title>`` and ``<desc>`` say in words what it shows.

Failed and cancelled tasks differ from finished ones by more than colour: failed bars are
hatched and end in a cross, cancelled bars are dashed outlines that end in a stop bar, and
both say so in their row label and in the legend.
"""

from __future__ import annotations

import math
import re
from html import escape

from .expected import Variant
from .run import TaskRecord

WIDTH = 360  # viewBox units: about 360 px on a phone, so a unit is about a pixel there
PAD = 6
X0, X1 = PAD, WIDTH - PAD
LABEL_SIZE = 13  # row labels: monospace, about 0.6 em a character
SMALL_SIZE = 12  # axis and legend
CHAR = 0.6
ROW = 32  # label line, then the bar
BAR_TOP, BAR_HEIGHT = 16, 10
MAX_ROWS = 20
_DEFAULT_NAME = re.compile(r"Task-\d+")
_STEPS = (1, 2, 2.5, 5)
TIMES, DASH = "\u00d7", "\u2013"  # multiplication sign before a count; en dash between two times
_STATUS = {"failed": "failed", "cancelled": "cancelled", None: "still running at exit"}


def label(task: TaskRecord) -> str:
    """The row label: the coroutine, and the task's name when it was given one."""
    if _DEFAULT_NAME.fullmatch(task.name):
        return task.coro
    return f"{task.coro} name={task.name!r}"


def svg(variant: Variant, *, key: str = "timeline") -> str:
    """The timeline of ``variant`` as an ``<svg>`` element, or "" when it recorded no tasks.

    ``key`` makes the element ids (for the text alternative and the hatching), so give each
    picture on a page its own, e.g. the snippet's name and the versions of the variant.
    """
    tasks = variant.tasks or []
    if not tasks:
        return ""
    ident = "tl-" + (re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-") or "timeline")
    drawn, hidden = tasks[:MAX_ROWS], len(tasks) - MAX_ROWS
    end = max([t.created for t in tasks] + [t.finished or 0.0 for t in tasks] + [line.time for line in variant.lines])
    span, step = _axis(end)

    def x(seconds: float) -> float:
        return X0 + seconds / span * (X1 - X0)

    marks: dict[tuple[float, str], list[str]] = {}  # (time, stream) -> texts printed then
    for line in variant.lines:
        marks.setdefault((line.time, line.stream), []).append(line.text)
    body: list[str] = []
    y = 4.0
    rows_top = y
    rows: list[str] = []
    for task in drawn:
        rows.append(_row(task, y, x, ident, end))
        y += ROW
    if hidden > 0:
        more = f"… and {hidden} more task{'s' * (hidden > 1)}, not drawn"
        rows.append(f'<text class="tl-muted" x="{X0}" y="{_n(y + 12)}">{more}</text>')
        y += 22
    lane = ""
    if marks:
        streams = {stream for _, stream in marks}
        # stdout marks on one line, stderr marks on the next: the same time never hides one under the other
        mark_y = {"out": y + 21, "err": y + 21 + 13 * ("out" in streams)}
        count = len(variant.lines)
        lane_parts = [f'<text class="tl-label tl-muted" x="{X0}" y="{_n(y + 12)}" font-size="{LABEL_SIZE}">'
                      f'{count} line{"s" * (count != 1)} printed</text>']  # fmt: skip
        guides = sorted({when for when, _ in marks})
        body.extend(
            f'<line class="tl-guide" x1="{_n(x(when))}" y1="{_n(rows_top)}" x2="{_n(x(when))}" y2="{_n(y + 21)}"/>'
            for when in guides
        )
        for (when, stream), texts in sorted(marks.items(), key=lambda item: (item[0][1] == "err", item[0][0])):
            lane_parts.append(_mark(x(when), mark_y[stream], when, stream, texts))
        lane = "\n".join(lane_parts)
        y = mark_y["err" if "err" in streams else "out"] + 11
    body.extend(rows)
    if lane:
        body.append(lane)
    axis_y = y + 4
    body.append(_axis_svg(axis_y, span, step, x))
    legend, legend_bottom = _legend(drawn, marks, axis_y + 36, ident)
    body.append(legend)
    height = legend_bottom + 6
    title, desc = _words(variant, tasks, hidden, end)
    return (
        f'<svg class="tl" xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {_n(height)}" '
        f'width="100%" aria-labelledby="{ident}-title {ident}-desc" font-size="{SMALL_SIZE}">\n'
        f'<title id="{ident}-title">{escape(title)}</title>\n'
        f'<desc id="{ident}-desc">{escape(desc)}</desc>\n'
        f'<defs><pattern id="{ident}-hatch" patternUnits="userSpaceOnUse" width="5" height="5" '
        f'patternTransform="rotate(45)"><rect class="tl-hatch-bg" width="5" height="5"/>'
        f'<line class="tl-hatch" x1="1.25" y1="0" x2="1.25" y2="5" stroke-width="2.5"/></pattern></defs>\n'
        + "\n".join(body)
        + "\n</svg>"
    )


def _row(task: TaskRecord, y: float, x, ident: str, end: float) -> str:
    how = task.how if task.how in ("done", "failed", "cancelled") else None
    kind = how or "pending"
    finished = task.finished if task.finished is not None else end
    x0, x1 = x(task.created), x(finished)
    if how is None:
        x1 = X1
    x1 = max(x1, x0 + 3)  # an instant still shows
    bar_y = y + BAR_TOP
    mid = bar_y + BAR_HEIGHT / 2
    status = _STATUS.get(how, "") if how != "done" else ""
    suffix = f" — {status}" if status else ""
    room = int((X1 - X0) / (LABEL_SIZE * CHAR)) - len(suffix)
    text = _fit(label(task), room)
    text_width = (len(text) + len(suffix)) * LABEL_SIZE * CHAR
    label_x = max(X0, min(x0, X1 - text_width))
    parts = [
        f'<g class="tl-task tl-{kind}">',
        f"<title>{escape(_task_words(task, full=True))}</title>",
        f'<rect class="tl-track" x="{X0}" y="{_n(mid - 1)}" width="{X1 - X0}" height="2"/>',
        f'<text class="tl-label" x="{_n(label_x)}" y="{_n(y + 12)}" font-size="{LABEL_SIZE}">{escape(text)}'
        + (f'<tspan class="tl-status">{escape(suffix)}</tspan>' if suffix else "")
        + "</text>",
    ]
    fill = f' fill="url(#{ident}-hatch)"' if how == "failed" else ""
    parts.append(
        f'<rect class="tl-bar" x="{_n(x0)}" y="{_n(bar_y)}" width="{_n(x1 - x0)}" height="{BAR_HEIGHT}" rx="2"{fill}/>'
    )
    if how == "failed":  # a cross at the end
        cx = min(x1, X1 - 4)
        left, right, top, bottom = _n(cx - 4), _n(cx + 4), _n(mid - 4), _n(mid + 4)
        cross = f"M{left} {top}L{right} {bottom}M{left} {bottom}L{right} {top}"
        parts.append(f'<path class="tl-halo" d="{cross}"/><path class="tl-end" d="{cross}"/>')
    elif how == "cancelled":  # a stop bar at the end
        stop = f"M{_n(x1)} {_n(bar_y - 3)}V{_n(bar_y + BAR_HEIGHT + 3)}"
        parts.append(f'<path class="tl-halo" d="{stop}"/><path class="tl-end" d="{stop}"/>')
    elif how is None:  # an arrow: it went on
        arrow = f"M{_n(x1 - 5)} {_n(mid - 5)}L{_n(x1)} {_n(mid)}L{_n(x1 - 5)} {_n(mid + 5)}"
        parts.append(f'<path class="tl-end" d="{arrow}"/>')
    parts.append("</g>")
    return "\n".join(parts)


def _mark(cx: float, cy: float, when: float, stream: str, texts: list[str]) -> str:
    shown = texts[:5] + ([f"… {len(texts) - 5} more"] if len(texts) > 5 else [])
    where = " to standard error" if stream == "err" else ""
    # The time comes first: the ▶ Replay reads it (docs/javascripts/replay.js).
    tip = f"{when:.2f} s, {len(texts)} line{'s' * (len(texts) != 1)}{where}: " + "; ".join(
        t.strip() or "(empty)" for t in shown
    )
    if stream == "err":
        corners = f"M{_n(cx)} {_n(cy - 5)}L{_n(cx + 5)} {_n(cy)}L{_n(cx)} {_n(cy + 5)}L{_n(cx - 5)} {_n(cy)}Z"
        shape = f'<path class="tl-mark" d="{corners}"/>'
    else:
        shape = f'<circle class="tl-mark" cx="{_n(cx)}" cy="{_n(cy)}" r="4"/>'
    count = ""
    if len(texts) > 1:
        count = (
            f'<text class="tl-muted" x="{_n(cx - 7 if cx > X1 - 24 else cx + 7)}" y="{_n(cy + 4)}"'
            + (' text-anchor="end"' if cx > X1 - 24 else "")
            + f">{TIMES}{len(texts)}</text>"
        )
    return f'<g class="tl-print tl-{stream}"><title>{escape(tip)}</title>{shape}{count}</g>'


def _axis(end: float) -> tuple[float, float]:
    """The axis length and the step between its ticks: at most five steps of 1, 2, 2.5 or 5 times a power of 10."""
    end = max(end, 0.1)
    for power in range(-2, 6):
        for base in _STEPS:
            step = base * 10.0**power
            if end <= step * 5 + 1e-9:
                return max(math.ceil(end / step - 1e-9), 1) * step, step
    return end, end


def _axis_svg(y: float, span: float, step: float, x) -> str:
    decimals = next(d for d in range(4) if abs(round(step, d) - step) < 1e-9)
    ticks = round(span / step)
    parts = [f'<g class="tl-axis"><line class="tl-axis-line" x1="{X0}" y1="{_n(y)}" x2="{X1}" y2="{_n(y)}"/>']
    for i in range(ticks + 1):
        seconds = i * step
        tx = x(seconds)
        anchor = "start" if i == 0 else "end" if i == ticks else "middle"
        text = f"{seconds:.{decimals}f}" + (" s" if i == ticks else "")
        parts.append(f'<line class="tl-axis-line" x1="{_n(tx)}" y1="{_n(y)}" x2="{_n(tx)}" y2="{_n(y + 4)}"/>')
        parts.append(f'<text class="tl-muted" x="{_n(tx)}" y="{_n(y + 17)}" text-anchor="{anchor}">{text}</text>')
    parts.append("</g>")
    return "\n".join(parts)


def _legend(tasks: list[TaskRecord], marks: dict, baseline: float, ident: str) -> tuple[str, float]:
    kinds = {t.how if t.how in ("done", "failed", "cancelled") else None for t in tasks}
    items = []
    swatch = 'x="{x}" y="{y}" width="16" height="9" rx="2"'
    if "done" in kinds:
        items.append(("finished", '<g class="tl-done"><rect class="tl-bar" ' + swatch + "/></g>"))
    if "failed" in kinds:
        items.append(("failed", f'<g class="tl-failed"><rect class="tl-bar" fill="url(#{ident}-hatch)" ' + swatch + "/>"
                      '<path class="tl-end" d="M{cx0} {my0}L{cx1} {my1}M{cx0} {my1}L{cx1} {my0}"/></g>'))  # fmt: skip
    if "cancelled" in kinds:
        items.append(("cancelled", '<g class="tl-cancelled"><rect class="tl-bar" ' + swatch + "/>"
                      '<path class="tl-end" d="M{ex} {ty}V{by}"/></g>'))  # fmt: skip
    if None in kinds:
        items.append(("still running", '<g class="tl-pending"><rect class="tl-bar" ' + swatch + "/></g>"))
    streams = {stream for _, stream in marks}
    if "out" in streams:
        items.append(("printed line", '<circle class="tl-mark" cx="{mx}" cy="{my}" r="4"/>'))
    if "err" in streams:
        items.append(
            ("to stderr", '<path class="tl-mark tl-err" d="M{mx} {my5}L{mx5} {my}L{mx} {my_5}L{mx_5} {my}Z"/>')
        )
    parts = ['<g class="tl-legend">']
    lx, ly = float(X0), baseline
    for text, shape in items:
        width = 22 + len(text) * SMALL_SIZE * 0.52  # the body font: narrower than monospace
        if lx > X0 and lx + width > X1:
            lx, ly = float(X0), ly + 18
        top = ly - 9
        mid = top + 4.5
        parts.append(shape.format(
            x=_n(lx), y=_n(top), cx0=_n(lx + 12), cx1=_n(lx + 18), my0=_n(mid - 3), my1=_n(mid + 3),
            ex=_n(lx + 16), ty=_n(top - 2), by=_n(top + 11),
            mx=_n(lx + 8), my=_n(mid), my5=_n(mid - 5), my_5=_n(mid + 5), mx5=_n(lx + 13), mx_5=_n(lx + 3),
        ))  # fmt: skip
        parts.append(f'<text class="tl-muted" x="{_n(lx + 22)}" y="{_n(ly)}">{escape(text)}</text>')
        lx += width + 10
    parts.append("</g>")
    return "\n".join(parts), ly + 4


def _words(variant: Variant, tasks: list[TaskRecord], hidden: int, end: float) -> tuple[str, str]:
    count = len(tasks)
    over = f"over {_t(end)} s" if end else "all at 0 s"
    title = f"Timeline of the run: {count} task{'s' * (count != 1)} {over}"
    parts = [f"{count} task{'s' * (count != 1)}" + (f", the first {MAX_ROWS} drawn" if hidden > 0 else "")]
    parts.extend(_task_words(task) for task in tasks)
    lines = variant.lines
    if not lines:
        parts.append("nothing printed")
    else:
        errors = sum(line.stream == "err" for line in lines)
        text = f"{len(lines)} line{'s' * (len(lines) != 1)} printed"
        if errors:
            text += f" ({errors} to standard error)"
        times: dict[float, int] = {}
        for line in lines:
            times[line.time] = times.get(line.time, 0) + 1
        if len(times) == 1:
            text += f", {'all ' if len(lines) > 1 else ''}at {_t(lines[0].time)} s"
        elif len(times) <= 8:
            text += ": " + ", ".join(f"{n} at {_t(when)} s" for when, n in times.items())
        else:
            text += f" between {_t(min(times))} and {_t(max(times))} s"
        parts.append(text)
    return title, "; ".join(parts)


def _task_words(task: TaskRecord, *, full: bool = False) -> str:
    """A task in words. The ▶ Replay (docs/javascripts/replay.js) reads the task's times from the end of
    its ``<title>``: keep them last, before only how it ended (tests/test_replay.py checks every page)."""
    finished = "" if task.finished is None else _t(task.finished)
    if task.finished == task.created:
        text = f"{label(task)} at {_t(task.created)} s"
    elif finished:
        text = f"{label(task)} {_t(task.created)}{DASH}{finished} s"
    else:
        text = f"{label(task)} from {_t(task.created)} s"
    if task.how in ("failed", "cancelled"):
        text += f", {task.how}"
    elif task.how is None:
        text += ", still running at exit"
    elif full:
        text += ", finished"
    return text


def _fit(text: str, room: int) -> str:
    return text if len(text) <= room else text[: max(room - 1, 1)] + "…"


def _t(seconds: float) -> str:
    return "0" if seconds == 0 else f"{seconds:.2f}"


def _n(value: float) -> str:
    """A coordinate: one decimal at most, the same text for the same value."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
