"""Run one snippet in its own Python process and record what it printed, and when.

The snippet runs unbuffered, in a temporary working directory, under a timeout and
a cap on output. The recorder in ``child/sitecustomize.py`` stamps every write in
the child, so stdout and stderr keep their true order and the clock starts when the
snippet's own code starts (interpreter start-up, slow on a loaded machine, is not counted).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import re
import shutil
import signal
import stat
import struct
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import sandbox
from .forkserver import ForkServer, ForkServerError
from .interpreters import Interpreter

CHILD_DIR = Path(__file__).parent / "child"
_HEADER = struct.Struct("<dBI")
_STDOUT, _STDERR, _TASK, _START = 1, 2, 3, 4
_STREAMS = {_STDOUT: "out", _STDERR: "err"}
SNIPPET_HOME = "/path/to"  # where tracebacks say the snippet lives, as on a reader's machine
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{4,}\b")
MAX_LINE = 10_000  # characters: a run printing a longer line is stopped, as one printing too many bytes


@dataclass
class Line:
    time: float  # seconds since the snippet's code started
    stream: str  # "out" or "err"
    text: str


@dataclass
class TaskRecord:
    name: str
    coro: str
    created: float
    finished: float | None = None
    how: str | None = None  # "done", "failed", "cancelled"; None if still pending at exit


@dataclass
class Run:
    python: str  # full version, "3.12.1"
    lines: list[Line] = field(default_factory=list)
    tasks: list[TaskRecord] = field(default_factory=list)
    returncode: int | None = None
    problem: str | None = None  # why the run was stopped: timeout, too much output, ...
    duration: float = 0.0

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Run:
        run = cls(**data)
        run.lines = [Line(**line) for line in data["lines"]]
        run.tasks = [TaskRecord(**task) for task in data["tasks"]]
        return run


def normalise(text: str, workdir: str, interpreter: Interpreter) -> str:
    """Make output the same on every machine and run: paths and memory addresses."""
    text = text.replace(workdir, SNIPPET_HOME)
    text = text.replace(interpreter.stdlib, f"/usr/lib/python{interpreter.minor}")
    return _ADDRESS.sub("0x...", text)


class _Recorder:
    """Turns the child's stamped writes into lines and task records."""

    def __init__(self, run: Run, max_lines: int, max_bytes: int):
        self.run = run
        self.max_lines, self.max_bytes = max_lines, max_bytes
        self.partial = {"out": "", "err": ""}
        self.partial_time = {"out": 0.0, "err": 0.0}
        self.tasks: dict[int, TaskRecord] = {}
        self.bytes = 0
        self.child_start: float | None = None  # the child's monotonic clock at its time 0

    def write(self, when: float, stream: str, text: str) -> None:
        self.bytes += len(text)
        if not self.partial[stream]:
            self.partial_time[stream] = when
        pieces = (self.partial[stream] + text).split("\n")
        self.partial[stream] = pieces.pop()
        for piece in pieces:
            self.run.lines.append(Line(round(when, 4), stream, piece))
        if len(self.run.lines) > self.max_lines or self.bytes > self.max_bytes:
            raise _TooMuchOutput
        if len(self.partial[stream]) > MAX_LINE or any(len(piece) > MAX_LINE for piece in pieces):
            raise _TooMuchOutput(f"printed a line of more than {MAX_LINE:,} characters")

    def task_event(self, when: float, event: dict) -> None:
        if event["event"] == "created":
            record = TaskRecord(event["name"], event["coro"], round(when, 4))
            self.tasks[event["id"]] = record
            self.run.tasks.append(record)
        elif record := self.tasks.get(event["id"]):
            record.finished, record.how, record.name = round(when, 4), event["event"], event["name"]

    def flush(self) -> None:
        for stream, text in self.partial.items():
            if text:
                self.run.lines.append(Line(round(self.partial_time[stream], 4), stream, text))
                self.partial[stream] = ""

    def raw(self, stream: str, data: bytes) -> None:
        """Bytes written straight to a file descriptor, past ``sys.stdout``: stamped on arrival."""
        start = self.child_start if self.child_start is not None else time.monotonic()
        self.write(time.monotonic() - start, stream, data.decode("utf-8", "backslashreplace"))


class _TooMuchOutput(Exception):
    pass


async def _read_channel(reader: asyncio.StreamReader, recorder: _Recorder) -> None:
    while True:
        try:
            when, channel, size = _HEADER.unpack(await reader.readexactly(_HEADER.size))
            payload = await reader.readexactly(size)
        except asyncio.IncompleteReadError:
            return
        if channel == _START:
            (recorder.child_start,) = struct.unpack("<d", payload)
        elif channel == _TASK:
            recorder.task_event(when, json.loads(payload))
        else:
            recorder.write(when, _STREAMS[channel], payload.decode("utf-8", "backslashreplace"))


async def _read_raw(stream: asyncio.StreamReader, name: str, recorder: _Recorder) -> None:
    while data := await stream.read(65536):
        recorder.raw(name, data)


def environment(fd: int | None = None) -> dict[str, str]:
    """A small, fixed environment, the same on every machine; ``fd``: where the recorder writes."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "PYTHONPATH": str(CHILD_DIR),
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONIOENCODING": "utf-8",
    }
    if fd is not None:  # sitecustomize installs the recorder; a fork server's children install it themselves
        env["SNIPPET_ENGINE_FD"] = str(fd)
    return env


async def run_snippet(
    snippet: Path,
    interpreter: Interpreter,
    *,
    timeout: float,
    max_lines: int,
    max_bytes: int,
    server: ForkServer | None = None,
) -> Run:
    """Run ``snippet`` with ``interpreter`` (afresh, or forked by ``server``); never raises for what it does."""
    run = Run(python=interpreter.version)
    recorder = _Recorder(run, max_lines, max_bytes)
    if stat.S_ISLNK(os.lstat(snippet).st_mode):  # its target, any file on the machine, would be run and shown
        run.problem = "is a symbolic link; a snippet is a plain file"
        return run
    workdir = tempfile.mkdtemp(prefix="snippet-", dir=server.runs_dir if server else None)
    shutil.copy(snippet, workdir)
    pipes = [os.pipe() for _ in range(3)]  # the recorder's channel, stdout, stderr
    unread = [read_end for read_end, _ in pipes]
    started = time.monotonic()
    stop, exited, transports = None, None, []
    try:
        try:
            write_ends = tuple(write_end for _, write_end in pipes)
            if server is None:
                stop, exited = await _start_afresh(snippet.name, workdir, interpreter, write_ends)
            else:
                stop, exited = await server.launch(snippet.name, workdir, write_ends)
        finally:
            for _, write_end in pipes:
                os.close(write_end)  # the child has its own copies: EOF when it exits
        loop = asyncio.get_running_loop()
        readers = []
        for read_end in list(unread):
            reader = asyncio.StreamReader(limit=1 << 20)
            transport, _ = await loop.connect_read_pipe(
                lambda reader=reader: asyncio.StreamReaderProtocol(reader), os.fdopen(read_end, "rb", buffering=0)
            )
            unread.remove(read_end)
            transports.append(transport)
            readers.append(reader)
        try:
            async with asyncio.timeout(timeout):
                await asyncio.gather(
                    _read_channel(readers[0], recorder),
                    _read_raw(readers[1], "out", recorder),
                    _read_raw(readers[2], "err", recorder),
                    asyncio.shield(exited),
                )
        except TimeoutError:
            run.problem = f"timed out after {timeout:g} s"
        except _TooMuchOutput as error:
            run.problem = str(error) or f"printed more than {max_lines:,} lines or {max_bytes:,} bytes"
    except (OSError, ForkServerError) as error:
        run.problem = f"could not start {interpreter.executable}: {error}"
    finally:
        for transport in transports:
            transport.close()
        for read_end in unread:
            os.close(read_end)
        if exited is not None:
            if not exited.done():
                stop()
            run.returncode = await exited
        shutil.rmtree(workdir, ignore_errors=True)
    run.duration = round(time.monotonic() - started, 3)
    recorder.flush()
    for line in run.lines:
        line.text = normalise(line.text, workdir, interpreter)
    for task in run.tasks:
        task.coro = normalise(task.coro, workdir, interpreter)
    return run


async def _start_afresh(
    script: str, workdir: str, interpreter: Interpreter, fds: tuple[int, int, int]
) -> tuple[Callable[[], None], asyncio.Future[int]]:
    """``python -s -u script`` in ``workdir``: a function that kills it and all it started, and its exit code."""
    channel, stdout, stderr = fds
    argv = [interpreter.executable, "-s", "-u", script]
    if not sandbox.enabled():
        status_read = None
        keep: tuple[int, ...] = (channel,)
    else:  # in a sandbox of its own; _snippet_run.py reports the real wait status, not bwrap's 128+N
        status_read, status_write = os.pipe()
        argv = sandbox.command(
            [interpreter.executable, "-I", "-S", str(CHILD_DIR / "_snippet_run.py"), str(status_write), *argv],
            chdir=workdir, read_only=(workdir,),
        )  # fmt: skip
        keep = (channel, status_write)
    try:
        process = await asyncio.create_subprocess_exec(
            *argv, cwd=workdir, env=environment(channel), pass_fds=keep,
            stdin=asyncio.subprocess.DEVNULL, stdout=stdout, stderr=stderr,
            start_new_session=True,  # so a timeout can stop the snippet's own children too
        )  # fmt: skip
    except BaseException:
        if status_read is not None:
            os.close(status_read)
        raise
    finally:
        if status_read is not None:
            os.close(status_write)
    return functools.partial(_kill_group, process.pid), asyncio.ensure_future(_exit_code(process, status_read))


async def _exit_code(process: asyncio.subprocess.Process, status_read: int | None) -> int:
    returncode = await process.wait()
    if status_read is None:
        return returncode
    try:
        os.set_blocking(status_read, False)
        with contextlib.suppress(BlockingIOError):
            status = os.read(status_read, 4)
            if len(status) == 4:  # else the sandbox was killed (a timeout) before the snippet ended
                return os.waitstatus_to_exitcode(struct.unpack("<i", status)[0])
        return returncode
    finally:
        os.close(status_read)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
