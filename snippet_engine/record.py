"""Write a snippet's expected-output file from real runs: ``python -m snippet_engine record``.

Each snippet runs three times on every interpreter at once. The text must be the same
every time (else the sample is not deterministic and cannot be checked); each time
kept is the earliest seen less the run's CPU waits, since load only ever makes a line
late. Versions that
print the same are written once; the others become ``@ python`` variants.
"""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path

from . import cache
from .config import settings, shown
from .expected import Expected, ExpectedFileError, Variant, compare, format_line, parse, path_for, render
from .interpreters import MissingInterpreter, find
from .run import Run, run_snippet

REPEATS = 3
RECORDING_CONCURRENCY = 4  # few at once: a crowded machine would record late times


async def record(snippet: Path, minors: tuple[str, ...], limit: asyncio.Semaphore) -> list[str]:
    """Record ``snippet``; return problems (nothing is written when there are any)."""
    conf = settings()
    expected_file = path_for(snippet)
    try:
        expected = parse(expected_file)
    except FileNotFoundError:
        expected = Expected(expected_file)
    except ExpectedFileError as error:
        return [str(error)]
    before = Expected(expected_file, variants=expected.variants)
    expected.variants = []
    versions = [minor for minor in minors if expected.runs_on(minor)]
    try:
        interpreters = [find(minor) for minor in versions]
    except MissingInterpreter as error:
        return [str(error)]  # the same for every snippet: the command line says it once
    # Versions not recorded now (SNIPPET_PYTHONS, --python) keep the output recorded for them before.
    kept = {
        minor: variant
        for minor in conf.configured
        if minor not in versions and expected.runs_on(minor) and (variant := before.variant_for(minor))
    }

    async def one_run(interpreter):
        async with limit:
            return await run_snippet(snippet, interpreter, timeout=expected.timeout or conf.timeout,
                                     max_lines=conf.max_lines, max_bytes=conf.max_bytes)  # fmt: skip

    runs = await asyncio.gather(*(one_run(interpreter) for interpreter in interpreters for _ in range(REPEATS)))
    by_version: dict[str, Run] = {}
    for index, minor in enumerate(versions):
        tries = runs[index * REPEATS : (index + 1) * REPEATS]
        if problems := _refuse(snippet, expected, tries):
            return problems
        by_version[minor] = _earliest(tries)
    groups: dict[tuple, list[str]] = {}
    order = [m for m in conf.configured if m in by_version or m in kept] + [
        m for m in by_version if m not in conf.configured
    ]
    for minor in dict.fromkeys(order):
        text = (
            _text(by_version[minor])
            if minor in by_version
            else _text(Run("", kept[minor].lines, kept[minor].tasks or []))
        )
        groups.setdefault(text, []).append(minor)
    for minors_alike in groups.values():
        versions_field = None if len(groups) == 1 else tuple(minors_alike)
        if recorded := [by_version[m] for m in minors_alike if m in by_version]:
            run = _earliest(recorded)  # where a kept version prints the same, it shares the new times
            expected.variants.append(Variant(versions_field, run.lines, run.tasks))
        else:
            variant = kept[minors_alike[0]]
            expected.variants.append(Variant(versions_field, variant.lines, variant.tasks))
    expected_file.write_text(render(expected), encoding="utf-8")
    # What was just recorded passes: keep it, so the next build need not run it again.
    written = parse(expected_file)
    for index, (minor, interpreter) in enumerate(zip(versions, interpreters, strict=True)):
        for run in runs[index * REPEATS : (index + 1) * REPEATS]:  # a real run, not the merged one
            if not compare(run, written, minor, conf):
                cache.store(conf.cache_dir, cache.key(snippet, expected_file, interpreter, conf), run)
                break
    return []


def _text(run: Run) -> tuple:
    return tuple((line.stream, line.text) for line in run.lines), tuple((t.name, t.coro, t.how) for t in run.tasks)


def _refuse(snippet: Path, expected: Expected, tries: list[Run]) -> list[str]:
    run = tries[0]
    if run.problem:
        return [f"{shown(snippet)}: {run.problem} on Python {run.python}; nothing recorded"]
    if run.returncode != expected.exit:
        tail = "\n".join("    " + format_line(line) for line in run.lines[-12:])
        return [
            f"{shown(snippet)}: exited with code {run.returncode} on Python {run.python}; nothing recorded. "
            f"If that is on purpose, put `# exit: {run.returncode}` at the top of {expected.path.name}.\n{tail}"
        ]
    if len({_text(t) for t in tries}) > 1:
        return [
            f"{shown(snippet)}: printed different text in {REPEATS} runs on Python {run.python}; "
            "a sample must be deterministic"
        ]
    return []


def _earliest(runs: list[Run]) -> Run:
    """A copy of the first run, each time estimated from every run: an idle run's time, as near as known.

    A line comes late on a busy machine by at most the time its run waited for a CPU, so each run
    bounds the idle time: at least its time less its CPU waits, at most its time. Waits do not always
    delay a line (a wait before a sleep is absorbed by the sleep), so time less waits can fall below
    the truth, below even an idle run's time (a 0.6 s sleep recorded as 0.20 s under a load of 20).
    The estimate is the highest of the lower bounds, never above the earliest time seen.
    """
    best = copy.deepcopy(runs[0])
    for index, line in enumerate(best.lines):
        line.time = _estimate([(run.lines[index].time, run.lines[index].delay) for run in runs])
        line.delay = 0.0
    for index, task in enumerate(best.tasks):
        task.created = _estimate([(run.tasks[index].created, run.tasks[index].created_delay) for run in runs])
        task.created_delay = 0.0
        if task.finished is not None:
            ends = [run.tasks[index] for run in runs if run.tasks[index].finished is not None]
            task.finished = _estimate([(end.finished, end.finished_delay) for end in ends])
            task.finished_delay = 0.0
    return best


def _estimate(seen: list[tuple[float, float]]) -> float:
    """From (time, CPU wait by then) of each run: the highest lower bound, at most the earliest time, at least 0."""
    return max(0.0, min(min(time for time, _ in seen), max(time - waited for time, waited in seen)))


async def record_many(snippets: list[Path], minors: tuple[str, ...]) -> dict[Path, list[str]]:
    limit = asyncio.Semaphore(RECORDING_CONCURRENCY)
    results = await asyncio.gather(*(record(snippet, minors, limit) for snippet in snippets))
    return {snippet: problems for snippet, problems in zip(snippets, results, strict=True)}
