"""The expected-output file beside each snippet (``name.py`` → ``name.out``), and the check.

It is plain text, written by ``python -m snippet_engine record`` and read by people in
diffs::

    # exit: 1              settings, optional: exit code, timeout in s, lowest Python
    # python: 3.12
    @ python 3.11 3.12     a variant, only where versions print different things
    0.00 | started         seconds since start, | for stdout, ! for stderr, the text
    1.00 ! Traceback (most recent call last):
    tasks:                 every asyncio task: created - finished | how | name | coroutine
    0.00 - 1.00 | done | Task-1 | main()

Text must match exactly; each time must be within ``early`` before and ``late`` (plus
``late_ratio`` of the time) after the expected one: a sleep never ends early, but a
loaded machine can make anything late.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from .config import Settings, shown
from .interpreters import version_tuple
from .run import Line, Run, TaskRecord

_MARKS = {"out": "|", "err": "!"}
_STREAMS = {mark: stream for stream, mark in _MARKS.items()}
SETTINGS_KEYS = {"exit", "timeout", "python"}
MAX_TIMEOUT = 60  # seconds: the ceiling of a snippet's `# timeout:`
_LINE = re.compile(r" *(\d+\.\d+) ([|!])(?: (.*))?")


class ExpectedFileError(ValueError):
    pass


@dataclass
class Variant:
    versions: tuple[str, ...] | None  # minor versions it is for; None: every version
    lines: list[Line] = field(default_factory=list)
    tasks: list[TaskRecord] | None = None  # None: no "tasks:" section, so tasks are not checked
    line_numbers: list[int] = field(default_factory=list)  # in the file, for messages
    task_line_numbers: list[int] = field(default_factory=list)


@dataclass
class Expected:
    path: Path
    exit: int = 0
    timeout: float | None = None
    python: str | None = None  # the lowest version the snippet runs on
    variants: list[Variant] = field(default_factory=list)

    def runs_on(self, minor: str) -> bool:
        return self.python is None or version_tuple(minor) >= version_tuple(self.python)

    def variant_for(self, minor: str) -> Variant | None:
        for variant in self.variants:
            if variant.versions is None or minor in variant.versions:
                return variant
        return None

    @property
    def duration(self) -> float:
        """The time of the last line: how long a run should take."""
        return max((line.time for v in self.variants for line in v.lines), default=0.0)


def path_for(snippet: Path) -> Path:
    return snippet.with_suffix(".out")


def _stamp(seconds: float) -> str:
    # Truncated, not rounded: a run's times are never early, so re-recording rarely changes them.
    return f"{math.floor(seconds * 100 + 1e-6) / 100:.2f}"


def parse(path: Path) -> Expected:
    expected = Expected(path)
    variant: Variant | None = None
    in_tasks = False
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        where = f"{shown(path)}:{number}"
        if raw.startswith("# ") and variant is None:
            key, _, value = raw[2:].partition(":")
            if key not in SETTINGS_KEYS:
                raise ExpectedFileError(f"{where}: unknown setting {key!r} (known: {', '.join(sorted(SETTINGS_KEYS))})")
            value = value.strip()
            if key == "exit":
                expected.exit = int(value)
            elif key == "timeout":
                expected.timeout = _timeout(value, where)
            else:
                expected.python = value
            continue
        if raw.startswith("@ python "):
            variant = Variant(tuple(raw.split()[2:]))
            expected.variants.append(variant)
            in_tasks = False
            continue
        if variant is None:
            variant = Variant(None)
            expected.variants.append(variant)
        if raw == "tasks:":
            in_tasks = True
            variant.tasks = []
        elif in_tasks:
            variant.tasks.append(_parse_task(raw, where))
            variant.task_line_numbers.append(number)
        else:
            match = _LINE.fullmatch(raw)
            if not match:
                raise ExpectedFileError(f"{where}: expected 'SECONDS | text' or 'SECONDS ! text', got {raw!r}")
            stamp, mark, text = match.groups()
            variant.lines.append(Line(float(stamp), _STREAMS[mark], text or ""))
            variant.line_numbers.append(number)
    return expected


def _timeout(value: str, where: str) -> float:
    """A snippet's own timeout: a number of seconds, finite and at most ``MAX_TIMEOUT`` (no sample may hang a build)."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not 0 < seconds <= MAX_TIMEOUT:  # also false for nan
        raise ExpectedFileError(
            f"{where}: timeout must be a number of seconds above 0, at most {MAX_TIMEOUT}: {value!r}"
        )
    return seconds


def _parse_task(raw: str, where: str) -> TaskRecord:
    try:
        times, how, name, coro = raw.split(" | ", 3)
        created, finished = (part.strip() for part in times.split(" - "))
        return TaskRecord(name, coro, float(created), None if finished == "..." else float(finished),
                          None if how == "pending" else how)  # fmt: skip
    except ValueError:
        raise ExpectedFileError(
            f"{where}: expected 'CREATED - FINISHED | how | name | coroutine', got {raw!r}"
        ) from None


def format_line(line: Line) -> str:
    return (
        f"{_stamp(line.time):>5} {_MARKS[line.stream]} {line.text}".rstrip()
        if line.text
        else f"{_stamp(line.time):>5} {_MARKS[line.stream]}"
    )


def format_task(task: TaskRecord) -> str:
    finished = "..." if task.finished is None else _stamp(task.finished)
    return f"{_stamp(task.created)} - {finished} | {task.how or 'pending'} | {task.name} | {task.coro}"


def render(expected: Expected) -> str:
    """The file's text: the inverse of :func:`parse`."""
    out = []
    if expected.exit:
        out.append(f"# exit: {expected.exit}")
    if expected.timeout is not None:
        out.append(f"# timeout: {expected.timeout:g}")
    if expected.python:
        out.append(f"# python: {expected.python}")
    for variant in expected.variants:
        if variant.versions is not None:
            out.append("@ python " + " ".join(variant.versions))
        out.extend(format_line(line) for line in variant.lines)
        if variant.tasks:
            out.append("tasks:")
            out.extend(format_task(task) for task in variant.tasks)
    return "\n".join(out) + "\n"


def _within(actual: float, expected: float, settings: Settings) -> bool:
    return expected - settings.early <= actual <= expected + settings.late + settings.late_ratio * expected


def _window(expected: float, settings: Settings) -> str:
    low = max(expected - settings.early, 0)
    return f"{low:.2f}-{expected + settings.late + settings.late_ratio * expected:.2f} s"


def compare(run: Run, expected: Expected, minor: str, settings: Settings) -> list[str]:
    """What is wrong with ``run`` against ``expected``: one message per problem, naming file and line."""
    name = shown(expected.path)
    source = shown(expected.path.with_suffix(".py"))
    if run.problem:
        return [f"{source}: {run.problem} on Python {run.python}{_last_lines(run)}"]
    problems = []
    if run.returncode != expected.exit:
        problems.append(
            f"{source}: exited with code {run.returncode} on Python {run.python}, expected "
            f"{expected.exit}{_declare_hint(run, name) if expected.exit == 0 else ''}"
            f"{_last_lines(run)}"
        )
    variant = expected.variant_for(minor)
    if variant is None:
        return [*problems, f"{name}: no expected output for Python {minor}"]
    want = [f"{_MARKS[line.stream]} {line.text}" for line in variant.lines]
    got = [f"{_MARKS[line.stream]} {line.text}" for line in run.lines]
    if want != got:
        first = next((i for i, (a, b) in enumerate(zip(want, got, strict=False)) if a != b), min(len(want), len(got)))
        line_no = variant.line_numbers[first] if first < len(variant.line_numbers) else "end"
        diff = "\n".join(
            difflib.unified_diff(want, got, "expected", f"printed on Python {run.python}", lineterm="", n=2)
        )
        problems.append(f"{name}:{line_no}: output differs from the run on Python {run.python}\n{diff}")
        return problems  # times of different lines mean nothing
    for line, actual, line_no in zip(variant.lines, run.lines, variant.line_numbers, strict=True):
        if not _within(actual.time, line.time, settings):
            problems.append(
                f"{name}:{line_no}: {line.text!r} appeared at {actual.time:.2f} s on Python {run.python}, "
                f"expected {line.time:.2f} s (allowed {_window(line.time, settings)})"
            )
    if variant.tasks is not None:
        problems.extend(_compare_tasks(run, variant, name, settings))
    return problems


def _compare_tasks(run: Run, variant: Variant, name: str, settings: Settings) -> list[str]:
    want = [(t.name, t.coro, t.how) for t in variant.tasks]
    got = [(t.name, t.coro, t.how) for t in run.tasks]
    if want != got:
        diff = "\n".join(difflib.unified_diff(
            [format_task(t).split(" | ", 1)[1] for t in variant.tasks],
            [format_task(t).split(" | ", 1)[1] for t in run.tasks],
            "expected tasks", "recorded tasks", lineterm=""))  # fmt: skip
        return [f"{name}: the tasks recorded on Python {run.python} differ\n{diff}"]
    problems = []
    for task, actual, line_no in zip(variant.tasks, run.tasks, variant.task_line_numbers, strict=True):
        for what, want_t, got_t in (
            ("created", task.created, actual.created),
            ("finished", task.finished, actual.finished),
        ):
            if want_t is None or got_t is None:
                continue
            if not _within(got_t, want_t, settings):
                problems.append(
                    f"{name}:{line_no}: task {task.name} {what} at {got_t:.2f} s on Python {run.python}, "
                    f"expected {want_t:.2f} s (allowed {_window(want_t, settings)})"
                )
    return problems


def _declare_hint(run: Run, name: str) -> str:
    return f" (if on purpose, put `# exit: {run.returncode}` at the top of {name})"


def _last_lines(run: Run, count: int = 12) -> str:
    if not run.lines:
        return ""
    shown = "\n".join(f"    {format_line(line)}" for line in run.lines[-count:])
    return f"\n  last lines printed:\n{shown}"
