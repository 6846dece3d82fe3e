"""Does any sample's printed text depend on machine load? Find lines whose order a short stall can swap.

    python benchmarks/order.py scan [SNIPPET ...]
    python benchmarks/order.py perturb [--rounds 10] [--python 3.12] [--jobs 3] [SNIPPET ...]
    python benchmarks/order.py pause [--seconds 0.15] [--rounds 10] [--python 3.12] [--jobs 3] [SNIPPET ...]

A check compares times with a tolerance, and re-checks a run that was only late, but the
printed *text* must match exactly. On a busy machine a run's process is held off the CPU for
a tenth of a second or more; every timer the program sets after such a stall is due that much
later, while timers set before it are not. Two lines printed by different tasks or threads a
little apart can then swap, and the check fails on text. Independent events are kept at least
0.3 s apart for this (see CONTRIBUTING, "Keep independent lines apart").

``scan`` lists, in every ``.out`` section, consecutive lines less than 0.2 s apart but not at
the same time: each must be ordered by the program (the same task printing twice, a task
printing right after the one it awaited), or it is at risk. It reads only the files.

``perturb`` runs each snippet (plain ``python -s -P -u``, not sandboxed, the engine's fixed
environment) with a stall-maker loaded first: from a random moment of the run on, each event
loop callback, and each ``time.sleep`` in any thread, is held back now and then for 20-120
ms, at most 0.2 s in all per run. It prints the snippets that printed other text than their
``.out`` in any round, with the first difference. A run without stalls is made first; a
snippet whose text differs even then (it cannot be compared this way) is listed apart.
Stalls add up to no more than 0.2 s, so a snippet listed has two events less than 0.2 s apart
whose order the program does not force, or the machine's own load added to the stalls (read the
difference). Known artefacts: a run that timed out is not counted; samples whose point is *when*
a failed task is freed (``Task exception was never retrieved`` before or after a line) print in
another order with the stall-maker loaded, stalls or not, so they cannot be judged this way.

``pause`` holds each run off the CPU once, as a busy machine does: its whole process group is
stopped (SIGSTOP) at a random moment of the run for ``--seconds``, then let go. Every timer due
in that time fires at once when it goes on, in the order of their deadlines, so it also finds
events that print nothing but decide what is printed (a signal, a ``cancel()``) too close to a
deadline: ``perturb`` holds only callbacks and sleeps, and missed the SIGTERM that
``shutdown/sigterm_graceful.py`` sent 0.1 s after a sleep ended. Unix only.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import difflib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from snippet_engine import expected as expected_file  # noqa: E402
from snippet_engine.config import discover, settings, shown  # noqa: E402
from snippet_engine.interpreters import find  # noqa: E402
from snippet_engine.run import environment, normalise  # noqa: E402

CLOSE = 0.2  # seconds: lines closer than this, from different tasks, can swap under load
BUDGET = 0.2  # seconds of stalls per perturbed run, in all

# Loaded as sitecustomize in each perturbed run. SNIPPET_STALLS="seed,start": no stall before `start` s.
STALLER = """
import os, random, threading, time

_spec = os.environ.pop("SNIPPET_STALLS", "")
if _spec:
    _seed, _start = _spec.split(",")
    _random = random.Random(int(_seed))
    _chance = 10 ** _random.uniform(-2, -0.3)  # per callback or sleep: 1 in 100 to 1 in 2
    _origin, _start, _left = time.monotonic(), float(_start), [BUDGET]
    _lock, _sleep = threading.Lock(), time.sleep

    def _stall():
        if time.monotonic() - _origin < _start:
            return 0.0
        with _lock:
            if _left[0] <= 0 or _random.random() > _chance:
                return 0.0
            pause = min(_left[0], _random.uniform(0.02, 0.12))
            _left[0] -= pause
            return pause

    def sleep(seconds, /):
        _sleep(seconds + _stall())

    time.sleep = sleep

    import asyncio.events

    _run = asyncio.events.Handle._run

    def _held_run(self):
        pause = _stall()
        if pause:
            _sleep(pause)
        return _run(self)

    asyncio.events.Handle._run = _held_run
""".replace("BUDGET", repr(BUDGET))


def scan(snippets: list[Path]) -> int:
    found = 0
    for snippet in snippets:
        expected = expected_file.parse(expected_file.path_for(snippet))
        for variant in expected.variants:
            pairs = zip(variant.lines, variant.lines[1:], variant.line_numbers[1:], strict=False)
            for before, after, line_no in pairs:
                if 0 < after.time - before.time < CLOSE - 1e-9:
                    found += 1
                    versions = " ".join(variant.versions or ("all",))
                    print(f"{shown(expected.path)}:{line_no} ({versions}): {after.time - before.time:.2f} s apart")
                    print(f"    {before.time:5.2f} {before.text[:90]}\n    {after.time:5.2f} {after.text[:90]}")
    print(f"{found} pairs of consecutive lines less than {CLOSE} s apart, not at the same time")
    return 0


def _run_once(
    snippet: Path, minor: str, *, timeout: float, staller: Path | None = None, stalls: str | None = None,
    held: tuple[float, float] | None = None,
) -> list[str]:  # fmt: skip
    """What the snippet printed: with the stall-maker, or held off the CPU once (``held``: from, for how long)."""
    interpreter = find(minor)
    workdir = tempfile.mkdtemp(prefix="snippet-")
    try:
        shutil.copy(snippet, workdir)
        env = environment()
        if staller:
            env["PYTHONPATH"] = str(staller)
        if stalls:
            env["SNIPPET_STALLS"] = stalls
        process = subprocess.Popen([interpreter.executable, "-s", "-P", "-u", snippet.name], cwd=workdir, env=env,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # fmt: skip
        try:
            if held:
                _hold(process, *held)
            text = process.communicate(timeout=timeout)[0].decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            text = f"(timed out after {timeout:g} s)"
        return normalise(text, workdir, interpreter).removesuffix("\n").split("\n") if text else []
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _hold(process: subprocess.Popen, start: float, seconds: float) -> None:
    """Stops the run (its whole process group) ``start`` s in, for ``seconds``, as a busy machine can."""
    time.sleep(start)
    try:
        os.killpg(process.pid, signal.SIGSTOP)
        time.sleep(seconds)
        os.killpg(process.pid, signal.SIGCONT)
    except ProcessLookupError:  # it had ended
        pass


def pause(snippets: list[Path], minors: list[str], rounds: int, jobs: int, seconds: float) -> int:
    def held(rng: random.Random, expected: expected_file.Expected) -> dict:
        return {"held": (rng.uniform(0, max(expected.duration, 0.1)), seconds)}

    return _compare(snippets, minors, rounds, jobs, {}, held, seconds,
                    f"when held off the CPU once for {seconds:g} s", "when not held")  # fmt: skip


def perturb(snippets: list[Path], minors: list[str], rounds: int, jobs: int) -> int:
    def stalls(rng: random.Random, expected: expected_file.Expected) -> dict:
        return {"stalls": f"{rng.randrange(1 << 30)},{rng.uniform(0, max(expected.duration, 0.1)):.3f}"}

    with tempfile.TemporaryDirectory() as staller:
        (Path(staller) / "sitecustomize.py").write_text(STALLER)
        return _compare(snippets, minors, rounds, jobs, {"staller": Path(staller)}, stalls, 0,
                        f"under stalls of at most {BUDGET} s in all", "without stalls")  # fmt: skip


def _compare(
    snippets: list[Path], minors: list[str], rounds: int, jobs: int, always: dict,
    varied: Callable[[random.Random, expected_file.Expected], dict], longer: float, how: str, plainly: str,
) -> int:  # fmt: skip
    """Runs each snippet once as is, then ``rounds`` times as ``varied`` says; lists those whose text changed."""
    work = []
    for snippet in snippets:
        expected = expected_file.parse(expected_file.path_for(snippet))
        for minor in minors:
            if expected.runs_on(minor):
                work.append((snippet, minor, expected))
    want = {(s, m): [line.text for line in e.variant_for(m).lines] for s, m, e in work}
    timeouts = {(s, m): (e.timeout or settings().timeout) + 5 + longer for s, m, e in work}
    uncomparable, differs = {}, {}
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        plain = {key: pool.submit(_run_once, *key, timeout=timeouts[key], **always) for key in want}
        for key, future in plain.items():
            if (got := future.result()) != want[key]:
                uncomparable[key] = _diff(want[key], got)
        rng = random.Random(1)
        for round_ in range(rounds):
            futures = {}
            for snippet, minor, expected in work:
                if (key := (snippet, minor)) not in uncomparable:
                    futures[key] = pool.submit(
                        _run_once, *key, timeout=timeouts[key], **always, **varied(rng, expected)
                    )  # fmt: skip
            other = 0
            for key, future in futures.items():
                if (got := future.result()) != want[key] and not (got and got[-1].startswith("(timed out")):
                    differs.setdefault(key, []).append(_diff(want[key], got))
                    other += 1
            print(f"round {round_ + 1}: {other} runs with other text", flush=True)
    for (snippet, minor), diff in uncomparable.items():
        print(f"\n{shown(snippet)} on {minor}: differs even {plainly} (not compared)\n{diff}")
    for (snippet, minor), diffs in differs.items():
        print(f"\n{shown(snippet)} on {minor}: other text in {len(diffs)} of {rounds} rounds\n{diffs[0]}")
    print(f"\n{len(differs)} of {len(want) - len(uncomparable)} snippet runs printed other text {how}; "
          f"{len(uncomparable)} not comparable")  # fmt: skip
    return 1 if differs else 0


def _diff(want: list[str], got: list[str]) -> str:
    return "\n".join(list(difflib.unified_diff(want, got, "expected", "printed", lineterm="", n=1))[2:14])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["scan", "perturb", "pause"])
    parser.add_argument("snippets", nargs="*", type=Path)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--python", action="append", dest="pythons", metavar="3.X")
    parser.add_argument("--jobs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=0.15, help="pause: how long each run is held")
    args = parser.parse_intermixed_args()
    snippets = []
    for path in args.snippets or [ROOT / "snippets"]:
        snippets.extend(discover(path.resolve()) if path.is_dir() else [path.resolve()])
    if args.what == "scan":
        return scan(snippets)
    if args.what == "pause":
        return pause(snippets, args.pythons or ["3.12"], args.rounds, args.jobs, args.seconds)
    return perturb(snippets, args.pythons or ["3.12"], args.rounds, args.jobs)


if __name__ == "__main__":
    sys.exit(main())
