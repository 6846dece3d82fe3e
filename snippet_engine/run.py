"""Run one snippet in its own Python process and record what it printed, and when.

The snippet runs unbuffered, in a temporary working directory, under a timeout and
a cap on output. The recorder in ``child/sitecustomize.py`` stamps every write in
the child, so stdout and stderr keep their true order and the clock starts when the
snippet's own code starts (interpreter start-up, slow on a loaded machine, is not counted).
"""

from __future__ import annotations

import asyncio
import codecs
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
from .child._snippet_wire import FRAME, MARK, START, TASK_HEADER  # as the child writes them
from .forkserver import ForkServer, ForkServerError
from .interpreters import Interpreter

CHILD_DIR = Path(__file__).parent / "child"
_STREAMS = {1: "out", 2: "err"}
SNIPPET_HOME = "/path/to"  # where tracebacks say the snippet lives, as on a reader's machine
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{4,}\b")
MAX_LINE = 10_000  # characters: a run printing a longer line is stopped, as one printing too many bytes


@dataclass
class Line:
    time: float  # seconds since the snippet's code started
    stream: str  # "out" or "err"
    text: str
    delay: float = 0.0  # seconds the run had waited for a CPU by then (a busy machine's share of `time`)


@dataclass
class TaskRecord:
    name: str
    coro: str
    created: float
    finished: float | None = None
    how: str | None = None  # "done", "failed", "cancelled"; None if still pending at exit
    created_delay: float = 0.0  # CPU queue wait by then, as for Line.delay
    finished_delay: float = 0.0


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


def normalise_run(run: Run, workdir: str, interpreter: Interpreter) -> None:
    """:func:`normalise` every line and every task's coroutine of ``run``."""
    for line in run.lines:
        line.text = normalise(line.text, workdir, interpreter)
    for task in run.tasks:
        task.coro = normalise(task.coro, workdir, interpreter)


class _Recorder:
    """Turns what the child wrote into lines and task records.

    One pipe carries stdout and stderr: the recorder's frames (stamped in the child, each
    naming its stream) and raw bytes (``os.write``, child processes, the interpreter's last
    words), in the order they were written, which is the order of the lines. Raw bytes are
    stamped when they arrive, and count as standard output: nothing says which they were.
    """

    def __init__(self, run: Run, max_lines: int, max_bytes: int, on_start: Callable[[], None] | None = None):
        self.run = run
        self.on_start = on_start
        self.max_lines, self.max_bytes = max_lines, max_bytes
        self.lines: list[tuple[int, Line, bool]] = []  # (order of its first byte, line, stamped on arrival)
        self.partial: dict[str, tuple[tuple[int, float, float, bool], str] | None] = {"out": None, "err": None}
        self.decoders = {(stream, framed): _decoder() for stream in _STREAMS.values() for framed in (True, False)}
        self.tasks: dict[int, TaskRecord] = {}
        self.bytes = 0
        self.writes = 0
        self.last_time = self.last_delay = 0.0
        self.child_start: float | None = None  # the child's monotonic clock at its time 0

    def write(self, when: float, delay: float, stream: str, data: bytes, *, framed: bool) -> None:
        self.bytes += len(data)
        self.writes += 1
        self.last_time = when
        self._add(stream, (self.writes, when, delay, not framed), self.decoders[stream, framed].decode(data))
        if len(self.lines) > self.max_lines or self.bytes > self.max_bytes:
            raise _TooMuchOutput

    def _add(self, stream: str, stamp: tuple[int, float, float, bool], text: str) -> None:
        if not text:
            return
        start, so_far = self.partial[stream] or (stamp, "")
        pieces = (so_far + text).split("\n")
        if any(len(piece) > MAX_LINE for piece in pieces):
            raise _TooMuchOutput(f"printed a line of more than {MAX_LINE:,} characters")
        for piece in pieces[:-1]:
            self._line(stream, start, piece)
            start = stamp
        self.partial[stream] = (start, pieces[-1]) if pieces[-1] else None

    def _line(self, stream: str, stamp: tuple[int, float, float, bool], text: str) -> None:
        order, when, delay, on_arrival = stamp
        self.lines.append((order, Line(when, stream, text, delay), on_arrival))

    def started(self) -> None:
        if self.on_start is not None:
            self.on_start()
            self.on_start = None

    def raw(self, data: bytes) -> None:
        """Bytes written straight to a file descriptor, past ``sys.stdout``: stamped on arrival."""
        start = self.child_start if self.child_start is not None else time.monotonic()
        self.write(time.monotonic() - start, self.last_delay, "out", data, framed=False)

    def framed(self, stream: str, when: float, delay: float, data: bytes) -> None:
        self.last_delay = max(self.last_delay, delay)
        self.write(when, delay, stream, data, framed=True)

    def task_event(self, when: float, delay: float, event: dict) -> None:
        if event["event"] == "created":
            record = TaskRecord(event["name"], event["coro"], when, created_delay=delay)
            self.tasks[event["id"]] = record
            self.run.tasks.append(record)
        elif record := self.tasks.get(event["id"]):
            record.finished, record.how, record.name = when, event["event"], event["name"]
            record.finished_delay = delay

    def finish(self) -> None:
        """The run's lines, in the order written; what is left unfinished counts as a line."""
        for stream in self.partial:
            for framed in (True, False):  # a character cut short at the end
                cut_short = self.decoders[stream, framed].decode(b"", final=True)
                self._add(stream, (self.writes + 1, self.last_time, self.last_delay, True), cut_short)
            if partial := self.partial[stream]:
                self._line(stream, *partial)
                self.partial[stream] = None
        self.lines.sort(key=lambda entry: entry[0])
        # Raw bytes were written before whatever follows them in the pipe: never later than it.
        following = None
        for _, line, on_arrival in reversed(self.lines):
            if on_arrival and following is not None and following.time < line.time:
                line.time, line.delay = following.time, following.delay
            following = line
        self.run.lines = [line for _, line, _ in self.lines]


def decode(run: Run, output: bytes, tasks: bytes, *, max_lines: int, max_bytes: int) -> None:
    """Fill ``run`` from what a finished run's recorder wrote (its frames, its task messages), all at once:
    for runs that hand it over at their end (on Python in WebAssembly: ``pyodide_runs.py``)."""
    recorder = _Recorder(run, max_lines, max_bytes)
    recorder.child_start = time.monotonic() - run.duration  # bytes that came past the recorder: at the run's end
    at = 0
    while at + TASK_HEADER.size <= len(tasks):
        when, delay, kind, size = TASK_HEADER.unpack_from(tasks, at)
        payload = tasks[at + TASK_HEADER.size : at + TASK_HEADER.size + size]
        at += TASK_HEADER.size + size
        if kind != START:
            recorder.task_event(when, delay, json.loads(payload))
    try:
        _split_frames(output, recorder, final=True)
    except _TooMuchOutput as error:
        run.problem = run.problem or str(error) or f"printed more than {max_lines:,} lines or {max_bytes:,} bytes"
    recorder.finish()


def _decoder() -> codecs.IncrementalDecoder:
    return codecs.getincrementaldecoder("utf-8")("backslashreplace")


class _TooMuchOutput(Exception):
    pass


async def _read_tasks(reader: asyncio.StreamReader, recorder: _Recorder) -> None:
    while True:
        try:
            when, delay, kind, size = TASK_HEADER.unpack(await reader.readexactly(TASK_HEADER.size))
            payload = await reader.readexactly(size)
        except asyncio.IncompleteReadError:
            return
        if kind == START:
            (recorder.child_start,) = struct.unpack("<d", payload)
            recorder.started()
        else:
            recorder.task_event(when, delay, json.loads(payload))


async def _read_output(reader: asyncio.StreamReader, recorder: _Recorder) -> None:
    """stdout and stderr: the recorder's frames, and raw bytes between them."""
    pending = b""
    while data := await reader.read(65536):
        pending = _split_frames(pending + data, recorder, final=False)
    _split_frames(pending, recorder, final=True)


def _split_frames(data: bytes, recorder: _Recorder, *, final: bool) -> bytes:
    """Hand on every whole frame and the raw bytes before it; return what must wait for more."""
    while data:
        at = data.find(MARK)
        if at < 0:
            keep = 0 if final else _partial_mark(data)
            if len(data) > keep:
                recorder.raw(data[: len(data) - keep])
            return data[len(data) - keep :]
        if at:
            recorder.raw(data[:at])
            data = data[at:]
        header_end = len(MARK) + FRAME.size
        size = FRAME.unpack_from(data, len(MARK))[3] if len(data) >= header_end else None
        if size is None or len(data) < header_end + size:  # the rest of the frame is still on its way
            if final:
                recorder.raw(data)
                return b""
            return data
        when, delay, stream, _ = FRAME.unpack_from(data, len(MARK))
        recorder.framed(_STREAMS.get(stream, "out"), when, delay, data[header_end : header_end + size])
        data = data[header_end + size :]
    return b""


def _partial_mark(data: bytes) -> int:
    """How many bytes at the end of ``data`` could be the start of a frame's mark."""
    for keep in range(min(len(MARK) - 1, len(data)), 0, -1):
        if MARK.startswith(data[-keep:]):
            return keep
    return 0


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


# How long a run may take to reach the snippet's code (a fresh interpreter's start-up, the sandbox),
# on top of its timeout, which counts from there.
START_UP_LIMIT = 20.0


async def run_snippet(
    snippet: Path,
    interpreter: Interpreter,
    *,
    timeout: float,
    max_lines: int,
    max_bytes: int,
    server: ForkServer | None = None,
    on_start: Callable[[], None] | None = None,
) -> Run:
    """Run ``snippet`` with ``interpreter`` (afresh, or forked by ``server``); never raises for what it does.

    ``on_start`` is called once the snippet's own code is about to start (or the run has ended).
    """
    run = Run(python=interpreter.version)
    deadline: asyncio.Timeout | None = None
    code_started = False

    def start_the_clock() -> None:  # the timeout counts from here: a busy machine's slow start-up is not the run's
        nonlocal code_started
        code_started = True
        if deadline is not None:
            deadline.reschedule(asyncio.get_running_loop().time() + timeout)
        if on_start is not None:
            on_start()

    recorder = _Recorder(run, max_lines, max_bytes, start_the_clock)
    if stat.S_ISLNK(os.lstat(snippet).st_mode):  # its target, any file on the machine, would be run and shown
        run.problem = "is a symbolic link; a snippet is a plain file"
        return run
    workdir = tempfile.mkdtemp(prefix="snippet-", dir=server.runs_dir if server else None)
    shutil.copy(snippet, workdir)
    # The recorder's task channel, and one pipe for both stdout and stderr: as on a terminal,
    # whatever is written to either comes in the order it was written.
    pipes = [os.pipe() for _ in range(2)]
    unread = [read_end for read_end, _ in pipes]
    started = time.monotonic()
    stop, exited, transports = None, None, []
    try:
        try:
            write_ends = (pipes[0][1], pipes[1][1], pipes[1][1])  # channel, stdout, stderr
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
            async with asyncio.timeout(timeout + START_UP_LIMIT) as deadline:  # until the code starts
                await asyncio.gather(
                    _read_tasks(readers[0], recorder),
                    _read_output(readers[1], recorder),
                    asyncio.shield(exited),
                )
        except TimeoutError:
            run.problem = (
                f"timed out after {timeout:g} s"
                if code_started
                else f"did not start within {timeout + START_UP_LIMIT:g} s (interpreter start-up and the sandbox)"
            )
        except _TooMuchOutput as error:
            run.problem = str(error) or f"printed more than {max_lines:,} lines or {max_bytes:,} bytes"
    except (OSError, ForkServerError) as error:
        run.problem = f"could not start {interpreter.executable}: {error}"
    finally:
        deadline = None  # over: a start seen from here on (a run that ended first) moves no deadline
        if exited is not None:
            if not exited.done():
                stop()  # and wait for its end before closing its pipes: else it might end on a broken pipe
            run.returncode = await exited
        for transport in transports:
            transport.close()
        for read_end in unread:
            os.close(read_end)
        if server is None:  # a fork server removes its runs' folders all at once as it closes
            shutil.rmtree(workdir, ignore_errors=True)
    run.duration = round(time.monotonic() - started, 3)
    recorder.started()  # if it never did
    recorder.finish()
    normalise_run(run, workdir, interpreter)
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
