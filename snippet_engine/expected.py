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
    0.00 - 1.00 |~ done | a\x7cb | fetch()   escaped as output lines are, where a name needs it

Text must match exactly; each time must be within ``early`` before and ``late`` (plus
``late_ratio`` of the time) after the expected one: a sleep never ends early, but a
loaded machine can make anything late.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .config import Settings, shown
from .interpreters import version_tuple
from .run import Line, Run, TaskRecord

_MARKS = {"out": "|", "err": "!"}
_STREAMS = {mark: stream for stream, mark in _MARKS.items()}
SETTINGS_KEYS = {"exit", "timeout", "python"}
MAX_TIMEOUT = 60  # seconds: the ceiling of a snippet's `# timeout:`
_LINE = re.compile(r" *(\d+\.\d+) ([|!])(~)?(?: (.*))?", re.DOTALL)
_MINOR = re.compile(r"\d+\.\d+")


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
    """Read an expected-output file; :class:`ExpectedFileError` names its line for anything wrong in it."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        number = data[: error.start].count(b"\n") + 1
        raise ExpectedFileError(
            f"{shown(path)}:{number}: not UTF-8 (byte 0x{data[error.start]:02x}); "
            "record the file again, or fix that byte"
        ) from None
    lines = text.split("\n")  # only \n ends a line: \r, \x0c or \u2028 in a line is text
    if lines[-1] == "":
        lines.pop()
    expected = Expected(path)
    variant: Variant | None = None
    in_tasks = False
    name = shown(path)  # once: messages name each line of it
    for number, raw in enumerate(lines, start=1):
        where = f"{name}:{number}"
        if raw.endswith("\r"):
            raise ExpectedFileError(f"{where}: the line ends with \\r (Windows line endings?); use \\n only")
        if raw.startswith("# ") and variant is None:
            key, _, value = raw[2:].partition(":")
            _setting(expected, key, value.strip(), where)
            continue
        if raw.startswith("@ python "):
            versions = tuple(raw.split()[2:])
            if not versions or not all(_MINOR.fullmatch(v) for v in versions):
                raise ExpectedFileError(f"{where}: expected '@ python 3.X 3.Y ...', got {raw!r}")
            variant = Variant(versions)
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
                raise ExpectedFileError(
                    f"{where}: expected 'SECONDS | text', 'SECONDS ! text' or 'SECONDS |~ escaped text', got {raw!r}"
                )
            stamp, mark, escaped, text = match.groups()
            text = text or ""
            if escaped:
                text = _unescape(text, where)
            variant.lines.append(Line(float(stamp), _STREAMS[mark], text))
            variant.line_numbers.append(number)
    return expected


def _setting(expected: Expected, key: str, value: str, where: str) -> None:
    if key not in SETTINGS_KEYS:
        raise ExpectedFileError(f"{where}: unknown setting {key!r} (known: {', '.join(sorted(SETTINGS_KEYS))})")
    try:
        if key == "exit":
            expected.exit = int(value)
        elif key == "timeout":
            expected.timeout = float(value)
            if not 0 < expected.timeout <= MAX_TIMEOUT:  # no sample may hang a build
                raise ValueError
        elif _MINOR.fullmatch(value):
            expected.python = value
        else:
            raise ValueError
    except ValueError:
        wanted = {
            "exit": "a whole number",
            "timeout": f"seconds, above 0 and at most {MAX_TIMEOUT}",
            "python": "a version like 3.12",
        }[key]
        raise ExpectedFileError(f"{where}: '# {key}:' takes {wanted}, got {value!r}") from None


# In the escaped form (`|~`, `!~`) a backslash starts one of these; nothing else is escaped.
_ESCAPES = {"\\": "\\", "t": "\t"}
_ESCAPE = re.compile(r"\\(?:(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})|(.?))", re.DOTALL)


def _unescape(text: str, where: str) -> str:
    def one(match: re.Match) -> str:
        code, simple = match.groups()
        if code:
            return chr(int(code[1:], 16))
        if simple in _ESCAPES:
            return _ESCAPES[simple]
        raise ExpectedFileError(
            f"{where}: unknown escape {match.group()!r} in an escaped line (known: \\\\, \\t, \\xHH, \\uHHHH)"
        )

    return _ESCAPE.sub(one, text)


def _needs_escape(char: str) -> bool:
    """A character that a plain line cannot hold: it ends a line somewhere, or cannot be seen."""
    return (char != "\t" and unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp")) or char == "\ufeff"


def _escape(text: str) -> str:
    body = text.rstrip()
    trailing = text[len(body) :]
    out = []
    for char in body:
        out.append("\\\\" if char == "\\" else _code(char) if _needs_escape(char) else char)
    out.extend(_code(char) for char in trailing)  # trailing whitespace: editors strip it
    return "".join(out)


def _code(char: str) -> str:
    if char == "\t":
        return "\\t"
    point = ord(char)
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}" if point < 0x10000 else f"\\U{point:08x}"


def _parse_task(raw: str, where: str) -> TaskRecord:
    try:
        times, rest = re.split(r" \|(?=~? )", raw, maxsplit=1)
        escaped = rest.startswith("~")
        how, name, coro = rest[2 if escaped else 1 :].split(" | ", 2)
        if escaped:
            name, coro = _unescape(name, where), _unescape(coro, where)
        created, finished = (part.strip() for part in times.split(" - "))
        return TaskRecord(name, coro, float(created), None if finished == "..." else float(finished),
                          None if how == "pending" else how)  # fmt: skip
    except ValueError:
        raise ExpectedFileError(
            f"{where}: expected 'CREATED - FINISHED | how | name | coroutine', got {raw!r}"
        ) from None


def format_line(line: Line) -> str:
    """One output line of the file: plain, or escaped (`|~`) when the text holds what a plain line cannot."""
    head = f"{_stamp(line.time):>5} {_MARKS[line.stream]}"
    text = line.text
    if not text:
        return head
    if text != text.rstrip() or any(_needs_escape(char) for char in text):
        return f"{head}~ {_escape(text)}"
    return f"{head} {text}"


def format_task(task: TaskRecord) -> str:
    """One task line: plain, or escaped (``|~``) when the name or coroutine holds what a plain one cannot."""
    finished = "..." if task.finished is None else _stamp(task.finished)
    return f"{_stamp(task.created)} - {finished} {_task_fields(task)}"


def _task_fields(task: TaskRecord) -> str:
    """``| how | name | coroutine``; escaped (``|~``, and ``|`` as ``\\x7c``) where a name holds ``|``,
    or either holds a line break, a control character, or trailing spaces, all of which a plain line loses."""
    how = task.how or "pending"
    plain_coro = task.coro == task.coro.rstrip()
    if "|" in task.name or not plain_coro or any(_needs_escape(char) for char in task.name + task.coro):
        name, coro = (_escape(text).replace("|", "\\x7c") for text in (task.name, task.coro))
        return f"|~ {how} | {name} | {coro}"
    return f"| {how} | {task.name} | {task.coro}"


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


class TimingProblem(str):
    """A message about a time alone (the text was right): the batch may check such a run again, alone."""


def _within(actual: float, delay: float, expected: float, settings: Settings) -> bool:
    """A sleep never ends early; and only the time the run did not spend waiting for a CPU may be late."""
    return expected - settings.early <= actual and actual - delay <= _latest(expected, settings)


def _latest(expected: float, settings: Settings) -> float:
    return expected + settings.late + settings.late_ratio * expected


def _window(expected: float, settings: Settings) -> str:
    return f"{max(expected - settings.early, 0):.2f}-{_latest(expected, settings):.2f} s"


def _late(what: str, actual: float, delay: float, expected: float, minor_version: str, settings: Settings) -> str:
    """Names the time that was compared: a late line's time less its wait for a CPU; an early line's as printed."""
    if actual - delay > _latest(expected, settings) and delay >= 0.005:
        shown_time = actual - delay
        waited = f"; it also waited {delay:.2f} s for a CPU, which does not count: {actual:.2f} s in all"
    else:
        shown_time, waited = actual, ""
    return TimingProblem(
        f"{what} at {shown_time:.2f} s on Python {minor_version}, "
        f"expected {expected:.2f} s (allowed {_window(expected, settings)}{waited})"
    )


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
        if not _within(actual.time, actual.delay, line.time, settings):
            what = f"{name}:{line_no}: {line.text!r} appeared"
            problems.append(_late(what, actual.time, actual.delay, line.time, run.python, settings))
    if variant.tasks is not None:
        problems.extend(_compare_tasks(run, variant, name, settings))
    return problems


def _compare_tasks(run: Run, variant: Variant, name: str, settings: Settings) -> list[str]:
    want = [(t.name, t.coro, t.how) for t in variant.tasks]
    got = [(t.name, t.coro, t.how) for t in run.tasks]
    if want != got:
        diff = "\n".join(difflib.unified_diff(
            [_task_fields(t) for t in variant.tasks],
            [_task_fields(t) for t in run.tasks],
            "expected tasks", "recorded tasks", lineterm=""))  # fmt: skip
        return [f"{name}: the tasks recorded on Python {run.python} differ\n{diff}"]
    problems = []
    for task, actual, line_no in zip(variant.tasks, run.tasks, variant.task_line_numbers, strict=True):
        for what, want_t, got_t, delay in (
            ("created", task.created, actual.created, actual.created_delay),
            ("finished", task.finished, actual.finished, actual.finished_delay),
        ):
            if want_t is None or got_t is None:
                continue
            if not _within(got_t, delay, want_t, settings):
                problems.append(_late(f"{name}:{line_no}: task {task.name} {what}", got_t, delay, want_t,
                                      run.python, settings))  # fmt: skip
    return problems


def _declare_hint(run: Run, name: str) -> str:
    return f" (if on purpose, put `# exit: {run.returncode}` at the top of {name})"


def _last_lines(run: Run, count: int = 12) -> str:
    if not run.lines:
        return ""
    shown = "\n".join(f"    {format_line(line)}" for line in run.lines[-count:])
    return f"\n  last lines printed:\n{shown}"
