"""How long CONTRIBUTING's commands take a new contributor, each timed from a clean clone.

    python benchmarks/contributing.py [--rounds 3] [--load idle|stress|build]

Every round clones this checkout's HEAD afresh (an empty cache, as a new contributor has) and
runs, as written, the commands under "Add a page with a tested sample", with this interpreter's
environment first on PATH (README's set-up done, `.venv` activated). The last one, `mkdocs serve`,
is timed until the new page shows its sample's output. Then `pre-commit run --all-files`. It prints
each command's time, and the range over the rounds.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from timing import ROOT, clone, load


def commands(project: Path) -> list[str]:
    text = (project / "CONTRIBUTING.md").read_text()
    section = text[text.index("## Add a page with a tested sample") :]
    block = re.search(r"^```sh\n(.*?)^```$", section, re.DOTALL | re.MULTILINE)[1]
    return [line for line in block.splitlines() if line.strip()]


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def one_round(project: Path) -> dict[str, float]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SNIPPET_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    port = free_port()
    with (project / "mkdocs.yml").open("a") as config:
        config.write(f"dev_addr: 127.0.0.1:{port}\n")  # a shared machine: not the default port
    times = {}
    *steps, serve = commands(project)
    for command in steps:
        started = time.monotonic()
        done = subprocess.run(command, shell=True, cwd=project, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode:
            raise SystemExit(f"{command} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        times[command.split(" --")[0][:60]] = time.monotonic() - started
    page = next(p for p in (project / "docs").glob("*.md") if not (ROOT / "docs" / p.name).exists())
    started = time.monotonic()
    server = subprocess.Popen(serve, shell=True, cwd=project, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    try:
        while time.monotonic() - started < 600:
            try:
                text = urllib.request.urlopen(f"http://127.0.0.1:{port}/asyncio-together/{page.stem}/", timeout=5)
                if 'class="snippet-output' in text.read().decode():
                    break
            except OSError:
                pass
            time.sleep(0.2)
        times[serve + " (its first page)"] = time.monotonic() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()
    # The hooks run README's .venv/bin tools: here, this environment's (a wrapper each, not a symbolic link,
    # which the sandbox cannot mount below /tmp).
    (project / ".venv" / "bin").mkdir(parents=True)
    for tool in ("python", "ruff", "zizmor", "check-jsonschema"):
        wrapper = project / ".venv" / "bin" / tool
        wrapper.write_text(f'#!/bin/sh\nexec "{Path(sys.executable).parent / tool}" "$@"\n')
        wrapper.chmod(0o755)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=900)  # fmt: skip
    times["pre-commit run --all-files"] = time.monotonic() - started
    print("\n".join(line for line in done.stdout.splitlines() if line.endswith(("Passed", "Failed"))))
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--load", choices=["idle", "stress", "build"], default="idle")
    args = parser.parse_args()
    rounds = []
    with load(args.load):
        for number in range(args.rounds):
            with tempfile.TemporaryDirectory() as tmp:
                times = one_round(clone(Path(tmp) / "clone"))
            rounds.append(times)
            print(f"round {number + 1}: " + "; ".join(f"{what} {took:.1f} s" for what, took in times.items()))
            print(f"  load average {os.getloadavg()[0]:.1f}", flush=True)
    for what in rounds[0]:
        took = [r[what] for r in rounds]
        print(f"{what}: {min(took):.1f}-{max(took):.1f} s")
    four = [sum(took for what, took in r.items() if not what.startswith("pre-commit")) for r in rounds]
    print(f"the four commands: {min(four):.1f}-{max(four):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
