"""Each sample on Python 3.14 in WebAssembly (Pyodide), the Python a reader's browser runs it on.

Pyodide comes from npm (``package.json``, pinned) and runs in Node, in the sandbox every run gets
(:mod:`.sandbox`): ``wasm/batch.mjs`` runs many samples, each in an interpreter of its own, with the
engine's own recorder (``child/_snippet_recorder.py``), so a line and a task mean here what they mean on
CPython. This module starts the batch and reads its runs as :class:`~.run.Run`.

Pyodide's event loop is a web loop (``pyodide.webloop.WebLoop``, driven by the host's timers), not
CPython's default loop, and it has no threads and no processes. Which samples run in a page as they
do on CPython is decided by running them (:func:`why_it_differs`), never by a list kept by hand.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import json
import os
import shutil
import subprocess
from pathlib import Path

from . import sandbox
from .config import Settings
from .expected import Expected, compare
from .interpreters import Interpreter
from .run import Run, decode, normalise_run

ROOT = Path(__file__).resolve().parent.parent
BATCH = Path(__file__).parent / "wasm" / "batch.mjs"
PACKAGE = ROOT / "node_modules" / "pyodide"
VERSION = "314.0.7"  # package.json's
PYTHON = Interpreter("3.14", f"3.14 (Pyodide {VERSION})", executable="pyodide", stdlib="/lib/python314.zip")
JSPI_FLAGS = ("--experimental-wasm-jspi", "--experimental-wasm-stack-switching")  # newest name first
STARTUP = 60.0  # seconds for Pyodide's first start and snapshot, on top of the samples' own limits


def missing() -> str | None:
    """Why samples cannot run on Pyodide here, or None."""
    if shutil.which("node") is None:
        return "Node.js (node) was not found: install Node.js 20 or newer"
    try:
        installed = json.loads((PACKAGE / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return f"Pyodide is not installed in {PACKAGE.parent}: run `npm ci`"
    if installed != VERSION:
        return f"Pyodide {installed} is installed, not {VERSION}: run `npm ci`"
    return None


@functools.cache
def node_flags(node: str) -> tuple[str, ...]:
    """What turns on WebAssembly stack switching (JSPI) in this Node, which ``asyncio.run()`` needs in
    Pyodide: V8 named the flag ``--experimental-wasm-stack-switching`` (Node 20), then
    ``--experimental-wasm-jspi``; none where neither is listed (JSPI on by default, or missing: the
    batch then says so)."""
    options = subprocess.run([node, "--v8-options"], capture_output=True, text=True, timeout=30).stdout
    return next(((flag,) for flag in JSPI_FLAGS if f"{flag} " in options), ())


def run_all(limits: dict[Path, float], *, max_lines: int, max_bytes: int, workers: int = 6) -> dict[Path, Run]:
    """Run each snippet once on Pyodide, each within its time limit (``limits``: seconds, by snippet); its
    run, by snippet. One batch: Pyodide starts once. Raises RuntimeError if the batch itself fails."""
    if not limits:
        return {}
    by_name = {snippet.name: snippet for snippet in limits}
    if len(by_name) != len(limits):  # each runs as /path/to/<name>, as on a reader's machine
        raise ValueError("snippets run together on Pyodide need different file names")
    request = {
        "samples": [{"name": s.name, "code": s.read_text(), "timeout": limit} for s, limit in limits.items()],
        "workers": workers,
        "maxBytes": max_bytes,
    }
    node = shutil.which("node") or "node"
    argv = [node, *node_flags(node), str(BATCH)]
    if sandbox.enabled():
        argv = sandbox.command(argv, chdir="/tmp", read_only=(str(ROOT),))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/tmp", "LANG": "C.UTF-8", "TZ": "UTC"}
    limit = STARTUP + sum(limits.values()) / min(workers, len(limits)) + max(limits.values())
    done = subprocess.run(
        argv, input=json.dumps(request), capture_output=True, text=True, env=env, timeout=limit, cwd="/"
    )
    runs = {}
    for line in done.stdout.splitlines():
        result = json.loads(line)
        run = Run(python=PYTHON.version, returncode=result["exit"], problem=result["problem"])
        run.duration = result["duration"]
        output, tasks = base64.b64decode(result["output"]), base64.b64decode(result["tasks"])
        decode(run, output, tasks, max_lines=max_lines, max_bytes=max_bytes)
        normalise_run(run, "/path/to", PYTHON)
        runs[by_name[result["name"]]] = run
    if done.returncode or len(runs) != len(limits):
        raise RuntimeError(f"the Pyodide batch failed (exit code {done.returncode}):\n{done.stderr[-4000:]}")
    return runs


# How late a line may come on Pyodide: a run there does not tell how long it waited for a CPU, so a busy
# machine is allowed for in the tolerance instead. Later than this, the web loop itself is slow: it runs
# each callback from a host timer (at least 1 ms in Node, 4 ms nested in a browser), so a sample that
# takes 0.01 s on CPython through 2,000 `sleep(0)` took 6.6-10 s there.
LATE, LATE_RATIO = 2.0, 1.0


def limit_for(expected: Expected, settings: Settings) -> float:
    """Seconds a sample may run on Pyodide: its own limit, or less when by then it is too late anyway."""
    return min(expected.timeout or settings.timeout, expected.duration * (1 + LATE_RATIO) + LATE + 1.0)


def why_it_differs(run: Run, expected: Expected, settings: Settings) -> str | None:
    """None if ``run`` (on Pyodide) shows what the sample shows on CPython: the same exit code, text and
    tasks as on the newest CPython the project lists (3.13 today), nothing earlier than there, and
    nothing more than :data:`LATE` s and :data:`LATE_RATIO` of its time later. Else the first
    difference, naming the ``.out`` line.

    An early line matters as much as different text: the web loop ran something that CPython's loop
    would not have run yet. (So did Pyodide's own ``time.sleep()``, which lets the web loop run other
    callbacks meanwhile; the runner's blocks, as CPython's does: ``wasm/_snippet_main.py``.)
    """
    tolerance = dataclasses.replace(settings, late=LATE, late_ratio=LATE_RATIO)
    problems = compare(run, expected, settings.configured[-1], tolerance)
    return problems[0] if problems else None
