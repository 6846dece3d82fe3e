"""Sealed runs: a hostile sample cannot write the checkout, read the build's secrets, reach the
network, see other runs, or leave a process behind; and the build's limits cannot be lifted.

Every hostile sample below tries its escapes and prints what happened; they all run at once,
forked by a fork server and started afresh, so the whole file takes a few seconds. Should the
sandbox fail, they must not harm the machine: they write only paths named with MARKER, which the
fixture removes, stop every process they start after a minute, and remount nothing outside a sandbox.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import dataclasses
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest

from snippet_engine import batch, fence, forkserver, sandbox
from snippet_engine.config import settings
from snippet_engine.expected import ExpectedFileError, parse
from snippet_engine.forkserver import SERVER, ForkServer
from snippet_engine.interpreters import find
from snippet_engine.run import CHILD_DIR, Run, environment, run_snippet

ROOT = Path(__file__).resolve().parent.parent
PYTHON = settings().pythons[0]
MARKER = f"hostile-{uuid.uuid4().hex[:12]}"  # in every process a hostile sample starts, to find leftovers

pytestmark = pytest.mark.skipif(not sandbox.enabled(), reason="no sandbox can start here")


@pytest.fixture(scope="module", autouse=True)
def _after_the_snippet_batch():
    """Start no process while the suite's snippet batch runs: it would make the batch's lines late."""
    import conftest

    if conftest._batch is not None:
        conftest._batch.join()


# {victim}: a folder inside the checkout (outside /tmp, which the sandbox does not share).
WRITES = """
import errno, os, sys
victim = {victim!r}
checkout = os.path.dirname(os.path.dirname(os.environ["PYTHONPATH"]))  # the engine's own folder gives it away

def attempt(what, action):
    try:
        action()
        print("WROTE", what)
    except OSError as error:
        print("blocked", what, errno.errorcode[error.errno])

attempt("new file", lambda: open(os.path.join(victim, "new.txt"), "w").close())
attempt("overwrite", lambda: open(os.path.join(victim, "victim.out"), "w").write("pwned"))
attempt("append", lambda: open(os.path.join(victim, "victim.out"), "a").write("pwned"))
attempt("remove", lambda: os.remove(os.path.join(victim, "victim.out")))
attempt("rename", lambda: os.rename(os.path.join(victim, "victim.out"), os.path.join(victim, "moved")))
attempt("chmod", lambda: os.chmod(os.path.join(victim, "victim.out"), 0o777))
attempt("mkdir", lambda: os.mkdir(os.path.join(victim, "dir")))
attempt("checkout", lambda: open(os.path.join(checkout, "{marker}.txt"), "w").close())
attempt("engine", lambda: open(os.path.join(os.environ["PYTHONPATH"], "{marker}.py"), "w").close())
attempt("cwd", lambda: open("{marker}.txt", "w").close())
attempt("/dev", lambda: open("/dev/{marker}", "w").close())  # then /dev/null, which other runs read as stdin
sys.path.insert(0, checkout)
from snippet_engine import cache  # the engine itself, to forge a cache entry
from pathlib import Path
attempt("cache", lambda: cache.store(Path(victim) / "cache", "{marker}", None))
"""

ENVIRON = """
import os
print("keys", sorted(os.environ))
seen = set()  # in the environment of every process it can see, the engine's too if it can see it
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            with open(f"/proc/{pid}/environ", "rb") as environ:
                seen.update(pair.split(b"=")[0].decode() for pair in environ.read().split(b"\\0") if pair)
        except OSError:
            pass
print("others", sorted(seen))
"""

# Each leftover ends by itself after a minute, should a failing sandbox let it run on.
LEFTOVERS = """
import os, subprocess, sys, time
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "{marker}"])
daemon = "import time; time.sleep(60)"
subprocess.Popen(["sh", "-c", f"setsid {{sys.executable}} -c '{{daemon}}' {marker} &"])  # in a session of its own
looping = "import time; end = time.monotonic() + 60\\nwhile time.monotonic() < end: time.sleep(0.01)"
if os.fork() == 0:
    os.execv(sys.executable, [sys.executable, "-c", looping, "{marker}"])
if os.fork() == 0:
    end = time.monotonic() + 60
    while time.monotonic() < end:  # a forked copy of the snippet, looping (idly: the suite runs meanwhile)
        time.sleep(0.01)
    os._exit(0)
time.sleep(0.3)
print("started")
{end}
"""

NETWORK = """
import asyncio, socket
print("interfaces", socket.if_nameindex())
for where in [("127.0.0.1", {port}), ("1.1.1.1", 53)]:
    try:
        socket.create_connection(where, timeout=1).close()
        print("connected", where[0])
    except OSError as error:
        print("refused", where[0], type(error).__name__)

async def main():
    async def echo(reader, writer):
        writer.write(await reader.readline())
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    reader, writer = await asyncio.open_connection(*server.sockets[0].getsockname()[:2])
    writer.write(b"a local server works\\n")
    print((await reader.readline()).decode().strip())
    writer.close()
    server.close()

asyncio.run(main())
"""

PRIVILEGES = """
import ctypes, errno, os
status = dict(line.split(":\\t") for line in open("/proc/self/status").read().splitlines() if ":\\t" in line)
print({{key: status[key].strip() for key in ("CapEff", "CapPrm", "CapBnd", "CapAmb", "NoNewPrivs")}})
libc = ctypes.CDLL(None, use_errno=True)
MS_REMOUNT, MS_BIND = 0x20, 0x1000
checkout = os.path.dirname(os.path.dirname(os.environ["PYTHONPATH"]))

def remount(what):
    if os.getpid() > 3:  # not in a run's own PID namespace: no sandbox. Do not remount this machine's "/"
        print(what, "NOT SANDBOXED")
        return
    for target in ("/", checkout):
        result = libc.mount(None, target.encode(), None, ctypes.c_ulong(MS_REMOUNT | MS_BIND), None)
        print(what, "remount", target == "/" and "/" or "checkout", "SUCCEEDED" if result == 0 else "refused")
    try:
        open(os.path.join(checkout, "{marker}.txt"), "w").close()
        print(what, "WROTE the checkout")
    except OSError as error:
        print(what, "write", errno.errorcode[error.errno])

remount("as is:")
CLONE_NEWUSER, CLONE_NEWNS = 0x10000000, 0x00020000
if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0:  # a user namespace of its own gives capabilities there
    remount("in a new user namespace:")
else:
    print("no new user namespace:", errno.errorcode[ctypes.get_errno()])
"""

PROCESSES = """
import os
print("sees", sorted(int(pid) for pid in os.listdir("/proc") if pid.isdigit()), "ppid", os.getppid())
"""

TMP = """
import os, time
open("/tmp/{marker}-{name}", "w").close()
open("/dev/shm/{marker}-{name}", "w").close()
time.sleep(0.5)  # the other one has written its files by now
print("tmp", sorted(name for name in os.listdir("/tmp") if "{marker}" in name))
print("shm", sorted(name for name in os.listdir("/dev/shm") if "{marker}" in name))
"""

EXITS = {  # each must end as `python name.py` does
    "interrupted.py": "print('working')\nraise KeyboardInterrupt\n",
    "terminated.py": "import os, signal\nprint('bye')\nos.kill(os.getpid(), signal.SIGTERM)\nprint('still here')\n",
    "hard_exit.py": "import os\nos._exit(7)\n",
    "ninety.py": "import sys\nsys.exit(130)\n",
    "descriptors.py": "import os\nprint(len(os.listdir('/proc/self/fd')))\n",  # 0, 1, 2, the recorder's
}


def hostile_snippets(victim: Path, port: int) -> dict[str, tuple[str, float]]:
    """Name -> (code, timeout)."""
    snippets = {
        "writes.py": (WRITES.format(victim=str(victim), marker=MARKER), 10),
        "environ.py": (ENVIRON, 10),
        "leftovers.py": (LEFTOVERS.format(marker=MARKER, end=""), 10),
        # Stopped last, so the check right after it shows the kill is complete when the run's result is.
        "leftovers_timeout.py": (LEFTOVERS.format(marker=MARKER, end="time.sleep(1000)"), 2.5),
        "network.py": (NETWORK.format(port=port), 10),
        "privileges.py": (PRIVILEGES.format(marker=MARKER), 10),
        "processes.py": (PROCESSES, 10),
        "tmp_a.py": (TMP.format(marker=MARKER, name="a"), 10),
        "tmp_b.py": (TMP.format(marker=MARKER, name="b"), 10),
        "long_line.py": ("import time\nprint('short')\nprint('x' * 10_001)\ntime.sleep(1000)\n", 10),
        "long_partial.py": ("import sys, time\nsys.stdout.write('y' * 10_001)\ntime.sleep(1000)\n", 10),
    }
    snippets.update((name, (code, 10)) for name, code in EXITS.items())
    return snippets


def _with_marker() -> list[int]:
    """Processes on this machine (seen from here) whose command line carries MARKER."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if MARKER.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(int(pid))
        except OSError:
            pass
    return found


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        kids = _children(todo.pop())
        found.extend(kids)
        todo.extend(kids)
    return found


def _children(pid: int) -> list[int]:
    """The children of every thread of ``pid``. A thread that ends meanwhile (the fork server's threads end
    just after their runs) hands its children to another, so the threads are read again; a process gone has none."""
    while True:
        try:
            return [
                int(kid)
                for task in Path(f"/proc/{pid}/task").iterdir()
                for kid in (task / "children").read_text().split()
            ]
        except FileNotFoundError:
            if not Path(f"/proc/{pid}").exists():
                return []


def _kill(pids: list[int]) -> None:
    for pid in pids:  # only processes this test's samples started: they carry MARKER
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """Every hostile sample, forked and fresh, all at once; with what was left behind afterwards."""
    victim = ROOT / ".cache" / MARKER
    victim.mkdir(parents=True)
    (victim / "victim.out").write_text("0.00 | the real expected output\n")
    listener = socket.create_server(("127.0.0.1", 0))
    snippets = hostile_snippets(victim, listener.getsockname()[1])
    directory = tmp_path_factory.mktemp("hostile")
    conf = settings()
    interpreter = find(PYTHON)

    async def one(name: str, code: str, timeout: float, server: ForkServer | None) -> Run:
        folder = directory / ("forked" if server else "fresh")
        folder.mkdir(exist_ok=True)
        (folder / name).write_text(textwrap.dedent(code).lstrip())
        return await run_snippet(
            folder / name, interpreter, timeout=timeout,
            max_lines=conf.max_lines, max_bytes=conf.max_bytes, server=server,
        )  # fmt: skip

    async def all_at_once():
        server = ForkServer(interpreter, environment())
        try:
            runs = await asyncio.gather(
                *(one(name, *case, server) for name, case in snippets.items()),
                *(one(name, *case, None) for name, case in snippets.items()),
            )
            # The server and its sandbox only, once every run has ended: nothing of any run is left.
            left_in_server = [_cmdline(pid) for pid in _descendants(server._process.pid)]
            return runs, left_in_server
        finally:
            await server.close()

    try:
        started = time.monotonic()
        runs, left_in_server = asyncio.run(all_at_once())
        seconds = time.monotonic() - started
        leftovers = _with_marker()
        victim_after = {path.name: path.is_file() and path.read_bytes() for path in victim.rglob("*")}
        host_tmp = sorted(name for folder in ("/tmp", "/dev/shm") for name in os.listdir(folder) if MARKER in name)
        stray = [path for path in (ROOT / f"{MARKER}.txt", CHILD_DIR / f"{MARKER}.py") if path.exists()]
        stray += [Path("/dev", name) for name in os.listdir("/dev") if MARKER in name]
    finally:
        listener.close()
        _kill(_with_marker())
        shutil.rmtree(victim, ignore_errors=True)
        for path in (ROOT / f"{MARKER}.txt", CHILD_DIR / f"{MARKER}.py"):
            path.unlink(missing_ok=True)
        for folder in ("/tmp", "/dev/shm", "/dev"):
            for name in os.listdir(folder):
                if MARKER in name:
                    Path(folder, name).unlink()
    count = len(snippets)
    return {
        "forked": dict(zip(snippets, runs[:count], strict=True)),
        "fresh": dict(zip(snippets, runs[count:], strict=True)),
        "seconds": seconds,
        "leftovers": leftovers,
        "left_in_server": left_in_server,
        "victim": victim_after,
        "host_tmp": host_tmp,
        "stray": stray,
    }


def texts(run: Run) -> list[str]:
    return [line.text for line in run.lines]


WAYS = ["forked", "fresh"]


def test_hostile_samples_run_all_at_once_in_a_few_seconds(hostile):
    assert hostile["seconds"] < 15


@pytest.mark.parametrize("way", WAYS)
def test_a_sample_cannot_write_the_checkout_or_the_cache(hostile, way):
    run = hostile[way]["writes.py"]
    assert run.returncode == 0, texts(run)
    lines = texts(run)
    assert len(lines) == 12, lines
    assert all(line.startswith("blocked ") and line.endswith(" EROFS") for line in lines), lines


def test_nothing_was_written_outside_the_sandbox(hostile):
    assert hostile["victim"] == {"victim.out": b"0.00 | the real expected output\n"}
    assert hostile["stray"] == []
    assert hostile["host_tmp"] == []


@pytest.mark.parametrize("way", WAYS)
def test_a_sample_sees_only_the_environment_the_engine_passes(hostile, way):
    keys, others = texts(hostile[way]["environ.py"])
    assert keys == f"keys {sorted(set(environment()) - {'SNIPPET_ENGINE_FD'})}"
    # Not the engine's (nor pytest's, nor the shell's): only the sandbox's own processes, started by the
    # engine with environment(), plus the working folder bubblewrap sets before its child starts.
    assert set(ast.literal_eval(others.removeprefix("others "))) <= {*environment(fd=0), "PWD"}, others


@pytest.mark.parametrize("way", WAYS)
def test_every_process_a_sample_starts_ends_with_its_run(hostile, way):
    assert texts(hostile[way]["leftovers.py"]) == ["started"]
    assert hostile[way]["leftovers.py"].returncode == 0
    assert hostile[way]["leftovers_timeout.py"].problem == "timed out after 2.5 s"
    assert hostile[way]["leftovers_timeout.py"].returncode == -9  # killed, as a timed-out `python name.py` is
    assert hostile["leftovers"] == []


def test_the_fork_server_keeps_nothing_of_its_runs(hostile):
    left = hostile["left_in_server"]
    assert len(left) == 2, left  # bubblewrap's init, and the server
    assert sorted(cmdline.split()[0] for cmdline in left) == sorted(["bwrap", find(PYTHON).executable]), left
    assert any(str(SERVER) in cmdline for cmdline in left), left


@pytest.mark.parametrize("way", WAYS)
def test_loopback_only_and_local_servers_work(hostile, way):
    assert texts(hostile[way]["network.py"]) == [
        "interfaces [(1, 'lo')]",
        "refused 127.0.0.1 ConnectionRefusedError",  # the build machine's loopback is another one
        "refused 1.1.1.1 OSError",  # no route at all
        "a local server works",
    ]


@pytest.mark.parametrize("way", WAYS)
def test_a_sample_has_no_privileges_and_cannot_get_any(hostile, way):
    lines = texts(hostile[way]["privileges.py"])
    assert lines[0] == str(
        dict.fromkeys(("CapEff", "CapPrm", "CapBnd", "CapAmb"), "0000000000000000") | {"NoNewPrivs": "1"}
    )
    assert lines[1:] == [
        "as is: remount / refused",
        "as is: remount checkout refused",
        "as is: write EROFS",
        "in a new user namespace: remount / refused",
        "in a new user namespace: remount checkout refused",
        "in a new user namespace: write EROFS",
    ]


@pytest.mark.parametrize("way", WAYS)
def test_a_run_sees_only_its_own_processes(hostile, way):
    lines = texts(hostile[way]["processes.py"])
    # Forked: its init and itself. Fresh: bubblewrap's init, the status reporter, itself.
    assert lines == (["sees [1, 2] ppid 1"] if way == "forked" else ["sees [1, 2, 3] ppid 2"])


@pytest.mark.parametrize("way", WAYS)
def test_each_run_has_a_private_tmp(hostile, way):
    for name in ("a", "b"):
        assert texts(hostile[way][f"tmp_{name}.py"]) == [f"tmp ['{MARKER}-{name}']", f"shm ['{MARKER}-{name}']"]


@pytest.mark.parametrize("name", sorted(EXITS))
def test_forked_runs_end_as_fresh_runs_do(hostile, name):
    fresh, forked = hostile["fresh"][name], hostile["forked"][name]
    assert (forked.returncode, texts(forked)) == (fresh.returncode, texts(fresh))
    codes = {"interrupted.py": -2, "terminated.py": -15, "hard_exit.py": 7, "ninety.py": 130, "descriptors.py": 0}
    assert fresh.returncode == codes[name]


def test_a_killed_check_leaves_no_process_behind(tmp_path):
    """SIGKILL a check while its runs are going: its sandboxes, fork servers and runs all end with it."""
    slow = "import subprocess, time\nsubprocess.Popen(['sleep', '59'])\ntime.sleep(30)\n"
    project = _project(tmp_path, {"slow.py": slow})
    (tmp_path / "tmp").mkdir()  # where the killed check leaves its runs' folders: it cannot remove them
    check = subprocess.Popen(
        [sys.executable, "-m", "snippet_engine", "check"], cwd=project,
        env={**os.environ, "SNIPPET_PROJECT_ROOT": str(project), "SNIPPET_CACHE_DIR": str(tmp_path / "cache"),
             "TMPDIR": str(tmp_path / "tmp")},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            below = _descendants(check.pid)
            commands = [_cmdline(pid) for pid in below]
            if any("sleep 59" in command for command in commands):
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"the check did not start its runs: {commands}")
        assert any("bwrap" in command for command in commands)
        assert any("_snippet_forkserver" in command for command in commands)
        check.kill()
        check.wait()
        deadline = time.monotonic() + 5
        while (alive := [pid for pid in below if _alive(pid)]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert alive == [], [_cmdline(pid) for pid in alive]
    finally:
        check.kill()
        check.wait()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


def _project(root: Path, snippets: dict[str, str]) -> Path:
    (root / "snippets").mkdir()
    (root / "pyproject.toml").write_text(
        (ROOT / "pyproject.toml").read_text().replace('pythons = ["3.11", "3.12", "3.13"]', f'pythons = ["{PYTHON}"]')
    )
    for name, code in snippets.items():
        (root / "snippets" / name).write_text(code)
        (root / "snippets" / name).with_suffix(".out").write_text("")
    return root


@pytest.mark.parametrize("way", WAYS)
def test_a_line_too_long_stops_the_run(hostile, way):
    for name in ("long_line.py", "long_partial.py"):
        run = hostile[way][name]
        assert run.problem == "printed a line of more than 10,000 characters", name
        assert run.duration < 5, name


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("/etc/passwd", "'/etc/passwd' is an absolute path"),
        ("../docs/x/evil.py", "'../docs/x/evil.py' goes up with '..'"),
        ("page/../../evil.py", "'page/../../evil.py' goes up with '..'"),
        ("page/linked.py", "'page/linked.py': page/linked.py is a symbolic link"),
        ("elsewhere/evil.py", "'elsewhere/evil.py': elsewhere is a symbolic link"),
    ],
)
def test_a_fence_path_outside_snippets_is_refused(tmp_path, monkeypatch, name, reason):
    snippets = tmp_path / "project" / "snippets"
    (snippets / "page").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.py").write_text("print('evil')\n")
    (snippets / "page" / "linked.py").symlink_to(outside / "evil.py")
    (snippets / "elsewhere").symlink_to(outside)
    monkeypatch.setattr(fence, "settings", lambda: dataclasses.replace(settings(), snippets_dir=snippets))

    def never(*_):
        raise AssertionError(f"{name} was run")

    monkeypatch.setattr(batch, "is_known", never)
    monkeypatch.setattr(batch, "check_all", never)
    with pytest.raises(fence.SnippetProblem, match=re.escape(reason)):
        fence.render(name)


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "0", "61", "1e9", "ten"])
def test_a_snippet_timeout_has_a_ceiling(tmp_path, value):
    out = tmp_path / "slow.out"
    out.write_text(f"# exit: 1\n# timeout: {value}\n0.00 | hi\n")
    message = f"slow.out:2: '# timeout:' takes seconds, above 0 and at most 60, got {value!r}"
    with pytest.raises(ExpectedFileError, match=re.escape(message)):
        parse(out)
    out.write_text("# timeout: 60\n0.00 | hi\n")
    assert parse(out).timeout == 60


def test_without_a_sandbox_a_local_build_says_so_once_and_ci_fails(monkeypatch, caplog):
    monkeypatch.setattr(sandbox, "BWRAP", "no-such-bwrap")
    sandbox._probe.cache_clear()
    sandbox.enabled.cache_clear()
    try:
        monkeypatch.delenv("CI", raising=False)
        with caplog.at_level(logging.WARNING, logger="mkdocs.plugins.snippet_engine"):
            assert (sandbox.enabled(), sandbox.enabled()) == (False, False)
            server = ForkServer(find(PYTHON), environment())
            asyncio.run(server.close())
        assert [record.getMessage() for record in caplog.records] == [
            "snippets run UNSANDBOXED: no-such-bwrap (bubblewrap) was not found"
        ]
        sandbox.enabled.cache_clear()
        monkeypatch.setenv("CI", "true")
        with pytest.raises(
            sandbox.SandboxUnavailable,
            match=re.escape("was not found (CI is set, so this is an error)"),
        ):
            sandbox.enabled()
        with pytest.raises(sandbox.SandboxUnavailable):
            ForkServer(find(PYTHON), environment())
    finally:
        sandbox._probe.cache_clear()
        sandbox.enabled.cache_clear()


def test_a_symbolic_link_in_snippets_is_not_run(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("not python: the key to everything\n")
    (tmp_path / "link.py").symlink_to(secret)
    run = asyncio.run(run_snippet(tmp_path / "link.py", find(PYTHON), timeout=5, max_lines=10, max_bytes=1000))
    assert run.problem == "is a symbolic link; a snippet is a plain file"
    assert run.lines == []


def test_fork_servers_leave_no_folders_behind(tmp_path, monkeypatch):
    made = []  # the runs' folders this test's servers make (other tests and builds may run beside it)
    mkdtemp = tempfile.mkdtemp

    def recording(*args, **kwargs) -> str:
        folder = mkdtemp(*args, **kwargs)
        if threading.current_thread() is threading.main_thread() and kwargs.get("prefix") == "snippet-runs-":
            made.append(folder)
        return folder

    monkeypatch.setattr(tempfile, "mkdtemp", recording)
    snippet = tmp_path / "hello.py"
    snippet.write_text("print('hello')\n")
    snippet.with_suffix(".out").write_text("0.00 | hello\n")

    async def check() -> list:
        unused = [ForkServer(find(PYTHON), environment()) for _ in range(3)]  # as batch makes them, one per job
        try:
            return await batch.check_many([snippet] * 3, (PYTHON,), use_cache=False)
        finally:
            await asyncio.gather(*(server.close() for server in unused))

    outcomes = asyncio.run(check())
    assert all(outcome.ok for outcome in outcomes), [outcome.problems for outcome in outcomes]
    assert made, "the servers made no folder: this test no longer sees what it checks"
    assert [folder for folder in made if os.path.exists(folder)] == []


def test_a_fork_server_that_cannot_start_fails_its_runs_instead_of_hanging(tmp_path, monkeypatch):
    """A server that dies at once (here: its script is missing) must not leave the batch waiting forever."""
    monkeypatch.setattr(forkserver, "SERVER", tmp_path / "no-such-server.py")
    snippet = tmp_path / "hello.py"
    snippet.write_text("print('hello')\n")

    async def one_run() -> Run:
        server = ForkServer(find(PYTHON), environment())
        try:
            return await run_snippet(snippet, find(PYTHON), timeout=30, max_lines=10, max_bytes=1000, server=server)
        finally:
            await server.close()

    started = time.monotonic()
    run = asyncio.run(asyncio.wait_for(one_run(), 20))
    assert "fork server" in (run.problem or ""), run
    assert time.monotonic() - started < 10


def test_the_engine_and_the_interpreter_stay_visible_when_they_lie_below_tmp(tmp_path):
    """A checkout made with `mktemp -d` (as CI's is) has its engine and venv below the sandbox's private /tmp."""
    venv_python = tmp_path / "venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.symlink_to(os.path.realpath(sys.executable))
    argv = sandbox.command([str(venv_python), "-c", "pass"], chdir="/")
    binds = {argv[i + 1] for i, arg in enumerate(argv) if arg == "--ro-bind"}
    assert str(tmp_path / "venv") in binds
    assert sandbox.ENGINE_DIR in binds
    if sandbox.enabled():
        done = subprocess.run([*argv[:-3], str(venv_python), "-c", "print('ran')"], capture_output=True, text=True)
        assert done.stdout == "ran\n", done.stderr


def test_a_checkout_whose_venv_is_a_symbolic_link_runs_its_interpreter(tmp_path):
    """``ln -s ../other/.venv .venv`` in a checkout below /tmp: bwrap cannot bind onto a symbolic link (every
    run failed, "Can't bind mount ... No such file or directory"); the link is seen through the checkout."""
    real = tmp_path / "shared-venv" / "bin" / "python"
    real.parent.mkdir(parents=True)
    real.symlink_to(os.path.realpath(sys.executable))
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / ".venv").symlink_to(real.parent.parent)
    linked = checkout / ".venv" / "bin" / "python"
    argv = sandbox.command([str(linked), "-c", "print('ran')"], chdir="/", read_only=(str(checkout),))
    binds = {argv[i + 1] for i, arg in enumerate(argv) if arg == "--ro-bind"}
    assert str(checkout / ".venv") not in binds, "a symbolic link is bound"
    assert str(real.parent.parent) in binds  # what it points to, below /tmp too
    if not sandbox.enabled():
        pytest.skip("no sandbox here")
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert done.stdout == "ran\n", done.stderr
