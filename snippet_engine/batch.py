"""Check many snippets on many interpreters at once: they mostly wait, so run them together."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import cache
from .config import Settings, label, run_mode, settings, shown
from .expected import Expected, ExpectedFileError, TimingProblem, compare, parse, path_for
from .forkserver import ForkServer
from .interpreters import Interpreter, MissingInterpreter, find, look_for, missing
from .run import Run, environment, run_snippet

RECORD_HINT = "python -m snippet_engine record {}"
# Under mkdocs.plugins, so `mkdocs build` and `serve` show how many snippets they had to run.
log = logging.getLogger("mkdocs.plugins.snippet_engine")


@dataclass
class Outcome:
    """The verdict on one snippet on one Python version."""

    snippet: Path
    minor: str
    run: Run | None = None
    expected: Expected | None = None
    problems: list[str] = field(default_factory=list)
    cached: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def label(self) -> str:
        return label(self.snippet)


_memo: dict[str, Outcome] = {}  # by cache key: within one process a failure is reported, not re-run


def applicable(snippet: Path, minors: tuple[str, ...]) -> tuple[str, ...]:
    """The versions a snippet is checked on: all, less those below its ``# python:`` setting."""
    try:
        expected = parse(path_for(snippet))
    except (OSError, ExpectedFileError):
        return minors  # the check itself reports the missing or broken file
    return tuple(minor for minor in minors if expected.runs_on(minor))


async def check_many(
    snippets: list[Path],
    minors: tuple[str, ...] | None = None,
    *,
    use_cache: bool = True,
    conf: Settings | None = None,
    settled: Callable[[str], None] | None = None,
) -> list[Outcome]:
    """Check ``snippets`` on ``minors``, all runs at once; ``settled(key)`` as each run's verdict is final."""
    conf = conf or settings()
    settled = settled or (lambda _: None)
    minors = minors or conf.pythons
    outcomes: list[Outcome] = []
    jobs = []
    engine = cache.engine_version()  # once: listing the engine's files for each of 300 runs took 0.1 s
    look_for(minors)  # each version's interpreter started at once, not one after another
    for snippet in snippets:
        expected_file = path_for(snippet)
        try:
            expected = parse(expected_file)
        except FileNotFoundError:
            problem = (
                f"{shown(snippet)}: no expected output ({expected_file.name}); "
                f"record it with `{RECORD_HINT.format(shown(snippet))}`"
            )
            outcomes.extend(Outcome(snippet, minor, problems=[problem]) for minor in minors)
            continue
        except ExpectedFileError as error:
            outcomes.extend(Outcome(snippet, minor, problems=[str(error)]) for minor in minors)
            continue
        for minor in minors:
            if not expected.runs_on(minor):
                continue
            outcome = Outcome(snippet, minor, expected=expected)
            outcomes.append(outcome)
            try:
                interpreter = find(minor)
            except MissingInterpreter as error:
                outcome.problems.append(str(error))
                continue
            run_key = cache.key(snippet, expected_file, interpreter, conf, engine)
            if use_cache and (known := _memo.get(run_key)):
                outcome.run, outcome.problems, outcome.cached = known.run, known.problems, True
            elif use_cache and (stored := cache.load(conf.cache_dir, run_key)):
                outcome.run, outcome.cached = stored, True
            else:
                jobs.append((outcome, interpreter, run_key))
    # Longest first, so the whole batch takes about as long as its longest snippet.
    jobs.sort(key=lambda job: -job[0].expected.duration)
    limit = asyncio.Semaphore(conf.concurrency)
    # Admission: a run's start-up (fork, set-up) is its busiest moment; only as many as there are
    # CPUs start at once, so runs do not starve each other at the beginning of a batch.
    starting = asyncio.Semaphore(max(os.cpu_count() or 1, 1))
    # SNIPPET_FRESH_PROCESSES=1 starts every run as a new `python name.py`, as `record` always does.
    fresh = run_mode()["processes"] == "fresh"
    servers = {} if fresh else {job[1]: ForkServer(job[1], environment()) for job in jobs}

    async def check(outcome: Outcome, interpreter: Interpreter, run_key: str) -> None:
        async with limit:
            await starting.acquire()
            released = False

            def release() -> None:  # once: when the snippet's code starts, or when the run ends before
                nonlocal released
                if not released:
                    released = True
                    starting.release()

            try:
                outcome.run = await run_snippet(
                    outcome.snippet, interpreter, timeout=outcome.expected.timeout or conf.timeout,
                    max_lines=conf.max_lines, max_bytes=conf.max_bytes, server=servers.get(interpreter),
                    on_start=release,
                )  # fmt: skip
            finally:
                release()
        outcome.problems = compare(outcome.run, outcome.expected, outcome.minor, conf)
        if outcome.ok:  # in a thread: renaming a file can wait on the kernel's locks, as the loop must not
            await asyncio.to_thread(cache.store, conf.cache_dir, run_key, outcome.run)
        if outcome.ok or not all(map(_timing_only, outcome.problems)):
            settle(run_key, outcome)  # final; a timing miss waits for its check after the batch

    def settle(run_key: str, outcome: Outcome) -> None:
        _memo[run_key] = outcome
        settled(run_key)

    started = time.monotonic()
    try:
        await asyncio.gather(*(check(*job) for job in jobs))
        # A run whose text was right but a time was not is checked once more, after the batch: on a
        # busy machine, lateness the CPU accounting cannot see (processes that ended) can still fail
        # one. A real slowdown fails again; a text miss is never retried. The runs checked again
        # run together: few, after a miss under load; many, only where the slowdown is real.
        again = [job for job in jobs if job[0].problems and all(map(_timing_only, job[0].problems))]
        await asyncio.gather(*(check(*job) for job in again))
        for outcome, _, _ in again:
            if not outcome.ok:
                load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
                note = f" (late in the batch and again when checked after it; load average {load:.1f})"
                outcome.problems = [TimingProblem(problem + note) for problem in outcome.problems]
        if again:
            passed = sum(job[0].ok for job in again)
            log.info("checked %d runs again after a timing miss: %d passed", len(again), passed)
        for outcome, _, run_key in again:
            settle(run_key, outcome)
    finally:
        await asyncio.gather(*(server.close() for server in servers.values()))
    if jobs:
        ran = len({job[0].snippet for job in jobs})
        log.info("ran %d snippets (%d runs) in %.1f s", ran, len(jobs), time.monotonic() - started)
    return outcomes


def _timing_only(problem: str) -> bool:
    return isinstance(problem, TimingProblem)


def run_keys(snippet: Path, minors: tuple[str, ...] | None = None) -> list[str] | None:
    """The cache keys of ``snippet``'s runs on the versions found here, or None when it cannot run
    (no ``.out`` file). A check says why, and that a version is missing."""
    conf = settings()
    expected_file = path_for(snippet)
    minors = applicable(snippet, minors or conf.pythons)
    look_for(minors)
    try:
        interpreters = [find(minor) for minor in minors if not missing(minor)]
        engine = cache.engine_version()
        return [cache.key(snippet, expected_file, interpreter, conf, engine) for interpreter in interpreters]
    except OSError:
        return None


def is_known(snippet: Path, minors: tuple[str, ...] | None = None) -> bool:
    """Whether checking ``snippet`` would need no run: every version's result is cached."""
    keys = run_keys(snippet, minors)
    cache_dir = settings().cache_dir
    return keys is not None and all(k in _memo or (cache_dir / f"{k}.json").exists() for k in keys)


class Background(threading.Thread):
    """One batch of snippets checked in a thread of its own, while the pages that show them are made.

    A page waits for its own snippet's runs only (:meth:`wait_for`), so the pages render while the
    batch's runs mostly wait: a cold build takes about its longest snippet plus what making the
    pages costs, not the one after the other. A line's time is taken in the snippet's process, so
    a busy builder does not change it.
    """

    def __init__(self, snippets: list[Path]) -> None:
        super().__init__(name="snippet-batch")  # not a daemon: a build ends once its runs are stored
        self.snippets = snippets
        self.error: BaseException | None = None
        self._settled: set[str] = set()
        self._finished = False
        self._changed = threading.Condition()

    def run(self) -> None:
        try:
            asyncio.run(check_many(self.snippets, settled=self._settle))
        except BaseException as error:  # the fence that waits says what went wrong
            self.error = error
        finally:
            with self._changed:
                self._finished = True
                self._changed.notify_all()

    def _settle(self, run_key: str) -> None:
        with self._changed:
            self._settled.add(run_key)
            self._changed.notify_all()

    def wait_for(self, snippet: Path) -> None:
        """Until every run of ``snippet`` in this batch has its verdict (re-raising what stopped the batch)."""
        keys = run_keys(snippet) or []
        with self._changed:
            self._changed.wait_for(lambda: self._finished or self._settled.issuperset(keys))
        if self.error is not None and self._finished:
            raise self.error


_background: Background | None = None
_background_lock = threading.Lock()


def in_background(snippets: list[Path]) -> Background:
    """The batch now running in the background, or a new one of ``snippets`` once the last has ended.

    One at a time (``mkdocs serve`` builds again and again); a snippet edited while a batch runs is
    run again by the page that shows it.
    """
    global _background
    with _background_lock:
        if _background is None or not _background.is_alive():
            _background = Background(snippets)
            _background.start()
        return _background


def check_all(snippets: list[Path], minors: tuple[str, ...] | None = None, *, use_cache: bool = True) -> list[Outcome]:
    """Synchronous :func:`check_many`, for MkDocs and pytest."""
    return asyncio.run(check_many(snippets, minors, use_cache=use_cache))
