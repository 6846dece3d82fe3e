"""Can the timing checks be trusted? Pass counts from clean clones, idle and under load, and slowdowns caught.

    python benchmarks/timing.py flakes [--rounds 20] [--load idle|stress|build] [--command check|build|tests]
    python benchmarks/timing.py slowdowns [--rounds 10] [--load ...]

``flakes`` clones this checkout's HEAD afresh for every round (an empty cache, as a new
user or CI has) and runs one command there: ``check`` is ``python -m snippet_engine check``,
``build`` is ``python -m mkdocs build --strict``, ``tests`` is ``python -m pytest`` (README's
command less the set-up, with this interpreter's packages; ``npm ci`` runs in the clone first,
untimed). It prints how many rounds passed, and each round's time.

``slowdowns`` makes, in a clone, a copy of every snippet with each wait longer: 0.2 s more,
or 10 % more for waits of 2 s and longer (``asyncio.sleep`` and ``time.sleep``, whatever
their argument), with the ``.out`` files unchanged. Every copy must fail its check in every
round, on a time where a printed time depends on a wait: a copy in which a longer wait moves a
line past a deadline prints other text instead, and is listed with how often each happened.
Copies in which no printed time depends on a wait are listed apart. The exit status is 1 when a
copy fails in some rounds and passes in others: a slowdown missed.

``--load stress`` runs the rounds beside ``stress-ng --cpu 4`` (Debian package ``stress-ng``);
``--load build`` beside back-to-back cold builds of another clone.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "check": ["-m", "snippet_engine", "check"],
    "build": ["-m", "mkdocs", "build", "--strict", "--site-dir", "{tmp}/site"],
    "tests": ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-x"],
}


def clone(into: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(ROOT), str(into)], check=True)
    return into


def environment(project: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SNIPPET_")}
    env["SNIPPET_PROJECT_ROOT"] = str(project)  # the clone, whichever checkout the venv was installed from
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run(command: str, project: Path) -> tuple[bool, float, str]:
    args = [arg.format(tmp=project.parent) for arg in COMMANDS[command]]
    if command == "tests":  # README's set-up installs Pyodide in the clone (tests/test_pyodide.py); not timed
        subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=project, check=True,
                       capture_output=True)  # fmt: skip
    started = time.monotonic()
    done = subprocess.run([sys.executable, *args], cwd=project, env=environment(project), capture_output=True,
                          text=True, timeout=900)  # fmt: skip
    return done.returncode == 0, time.monotonic() - started, done.stdout + done.stderr


@contextlib.contextmanager
def load(kind: str) -> Iterator[None]:
    if kind == "idle":
        yield
        return
    if kind == "stress":
        stress = subprocess.Popen(["stress-ng", "--cpu", "4", "--quiet"])
        try:
            yield
        finally:
            stress.terminate()
            stress.wait()
        return
    stop = threading.Event()

    def builds() -> None:  # another clone's cold build, again and again
        while not stop.is_set():
            with tempfile.TemporaryDirectory() as other:
                project = clone(Path(other) / "other")
                run("build", project)

    builder = threading.Thread(target=builds, daemon=True)
    builder.start()
    try:
        yield
    finally:
        stop.set()
        builder.join()


def flakes(args: argparse.Namespace) -> int:
    passed, times = 0, []
    with load(args.load):
        for round_ in range(args.rounds):
            with tempfile.TemporaryDirectory() as tmp:
                ok, took, output = run(args.command, clone(Path(tmp) / "clone"))
            passed += ok
            times.append(took)
            print(f"round {round_ + 1}: {'passed' if ok else 'FAILED'} in {took:.1f} s", flush=True)
            if not ok:
                failures = [line for line in output.splitlines() if re.search(r"\.out:\d+:|FAILED|Error", line)]
                print("  " + "\n  ".join(failures[:12]))
                kept = Path(tempfile.mkstemp(prefix=f"timing-round-{round_ + 1}-", suffix=".log")[1])
                kept.write_text(output)  # the clone is gone: its whole output, to find out why
                print(f"  the whole output: {kept}")
    print(f"{args.command}, {args.load}: {passed}/{args.rounds} passed; {min(times):.1f}-{max(times):.1f} s")
    return 0 if passed == args.rounds else 1


def lengthen(source: str) -> str:
    """``source`` with every sleep's argument made longer; lines and columns elsewhere unchanged."""
    edits = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args:
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name == "sleep":
                arg = node.args[0]
                edits.append((arg.lineno, arg.col_offset, arg.end_lineno, arg.end_col_offset))
    lines = source.splitlines(keepends=True)
    for line, col, end_line, end_col in sorted(edits, reverse=True):
        if line != end_line:
            continue
        text = lines[line - 1]
        arg = text[col:end_col]
        lines[line - 1] = f"{text[:col]}(lambda s: s * 1.1 if s >= 2 else s + 0.2)({arg}){text[end_col:]}"
    return "".join(lines)


def slowdowns(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        project = clone(Path(tmp) / "clone")
        snippets = sorted((project / "snippets").rglob("*.py"))
        changed = []
        for snippet in snippets:
            source = snippet.read_text()
            if (longer := lengthen(source)) != source:
                snippet.write_text(longer)
                changed.append(snippet.relative_to(project).as_posix())
        for snippet in snippets:
            if snippet.relative_to(project).as_posix() not in changed:
                snippet.unlink()
                snippet.with_suffix(".out").unlink()
        # Each copy's outcome in each round: "time" (failed on a time), another failure, or "passed".
        outcomes: dict[str, list[str]] = {name: [] for name in changed}
        with load(args.load):
            for round_ in range(args.rounds):
                shutil.rmtree(project / ".cache", ignore_errors=True)
                _, took, output = run("check", project)
                on_time = set(re.findall(r"^(\S+)\.out:\d+: .* at [\d.]+ s on Python", output, re.MULTILINE))
                for name in changed:
                    outcomes[name].append(outcome(name, on_time, output))
                print(f"round {round_ + 1}: {sum(n[:-3] in on_time for n in changed)} of {len(changed)} slower "
                      f"copies failed on a time, in {took:.1f} s", flush=True)  # fmt: skip
    return report(outcomes, args)


def outcome(name: str, on_time: set[str], output: str) -> str:
    """What the check said of one slower copy in one round."""
    if name[:-3] in on_time:
        return "time"
    if found := re.search(rf"^{re.escape(name)}: (.*?) on Python", output, re.MULTILINE):
        return found[1]
    if re.search(rf"^{re.escape(name[:-3])}\.out:\d+: output differs", output, re.MULTILINE):
        return "printed other text (a wait moved past a deadline, or changed the order)"
    return "passed"


def report(outcomes: dict[str, list[str]], args: argparse.Namespace) -> int:
    """Prints how each copy fared; exit status 1 when a copy that failed in some round passed in another: a
    slowdown missed now and then. A copy that passes every round prints no time that depends on its waits."""
    always = [name for name, seen in outcomes.items() if set(seen) == {"time"}]
    print(f"\n{args.load}: {len(always)} of {len(outcomes)} slower copies failed on a time in every round")
    mixed = {name: seen for name, seen in outcomes.items() if "time" in seen and set(seen) != {"time"}}
    if mixed:
        print("failed on a time in some rounds, and otherwise:")
        for name, seen in mixed.items():
            print(f"  {name}: " + "; ".join(f"{kind} ({seen.count(kind)}/{len(seen)})" for kind in sorted(set(seen))))
    never = {name: seen for name, seen in outcomes.items() if "time" not in seen}
    if never:
        print("never failed on a time (no printed time depends on the waits, or failed otherwise):")
        print("  " + "\n  ".join(f"{name}: {', '.join(sorted(set(seen)))}" for name, seen in never.items()))
    missed = [name for name, seen in outcomes.items() if "passed" in seen and set(seen) != {"passed"}]
    if missed:
        print("MISSED: failed in some rounds, passed in others:\n  " + "\n  ".join(missed))
    return 1 if missed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["flakes", "slowdowns"])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--load", choices=["idle", "stress", "build"], default="idle")
    parser.add_argument("--command", choices=list(COMMANDS), default="check")
    args = parser.parse_args()
    return flakes(args) if args.what == "flakes" else slowdowns(args)


if __name__ == "__main__":
    sys.exit(main())
