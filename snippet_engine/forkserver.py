"""Start snippet processes by forking a warm interpreter (one per Python version) instead of afresh.

A fresh ``python`` spends most of a short snippet's CPU time starting up and importing
asyncio; on a 2-core machine running 180 snippets that start-up, not the snippets' waits,
would set the suite's time. ``child/_snippet_forkserver.py`` pays it once per version.
``record`` never uses this: expected output always comes from real ``python name.py`` runs.

Each server runs in a sandbox of its own (``sandbox.py``) where one can start; it sees the runs'
working folders (below :attr:`ForkServer.runs_dir`) read-only, and seals each run in namespaces
of its own, so a run is stopped by a message to the server, never by a PID.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shutil
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path

from . import sandbox
from .interpreters import Interpreter

SERVER = Path(__file__).parent / "child" / "_snippet_forkserver.py"


class ForkServerError(RuntimeError):
    pass


SHARED_MEMORY = "/dev/shm"


def _in_memory() -> str | None:
    """Where runs' folders go: in memory (Linux's ``/dev/shm``) when it can take them, else the usual place.

    Each run makes a folder and a file, and the server removes them: on a disk (ext4 /tmp) that cost
    a fifth of a run's CPU (``benchmarks/run_cost.py``: 24-25 ms a run in /tmp, 17-20 in /dev/shm). A
    run still sees its folder read-only where it was: ``_snippet_sandbox.py`` puts it back over the
    run's own empty /dev/shm, as it does below /tmp.
    """
    return SHARED_MEMORY if os.path.isdir(SHARED_MEMORY) and os.access(SHARED_MEMORY, os.W_OK | os.X_OK) else None


class ForkServer:
    def __init__(self, interpreter: Interpreter, env: dict[str, str]):
        self.interpreter, self.env = interpreter, env
        self.sandboxed = sandbox.enabled()
        self._runs_dir: str | None = None  # made on first use: many servers are made and never used
        self._ids = itertools.count(1)
        self._started: dict[int, asyncio.Future[int]] = {}
        self._exited: dict[int, asyncio.Future[int]] = {}
        self._lock = asyncio.Lock()
        self._socket: socket.socket | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task | None = None

    @property
    def runs_dir(self) -> str:
        """Where ``run_snippet`` puts each run's copy of its snippet: the server sees it read-only."""
        if self._runs_dir is None:  # again after close(), if the server is used again
            self._runs_dir = tempfile.mkdtemp(prefix="snippet-runs-", dir=_in_memory())
        return self._runs_dir

    async def _ensure_started(self) -> None:
        async with self._lock:
            if self._socket is not None:
                return
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            argv = [self.interpreter.executable, "-s", "-u", str(SERVER), str(theirs.fileno())]
            if self.sandboxed:
                argv = sandbox.command(
                    [*argv, "--sandboxed"], chdir="/tmp", read_only=(self.runs_dir,), privileged=True
                )
            self._process = await asyncio.create_subprocess_exec(
                *argv, env=self.env, pass_fds=(theirs.fileno(),), stdin=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            theirs.close()
            ours.setblocking(False)
            self._socket = ours
            self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while message := await loop.sock_recv(self._socket, 256):
                kind, run_id, value = message.decode().split()
                futures = self._started if kind == "started" else self._exited
                future = futures.pop(int(run_id))
                if not future.done():
                    future.set_result(int(value))
        except ConnectionError:
            pass  # it died: as at the end of its messages
        finally:
            for future in (*self._started.values(), *self._exited.values()):  # the server stopped
                if not future.done():
                    future.set_exception(
                        ForkServerError(f"the fork server of Python {self.interpreter.version} stopped")
                    )
                    future.exception()  # said to whoever awaits it; a run cancelled meanwhile never will

    async def launch(
        self, script: str, cwd: str, fds: tuple[int, int, int]
    ) -> tuple[Callable[[], None], asyncio.Future[int]]:
        """Start ``script`` in ``cwd`` (below :attr:`runs_dir`) with the recorder pipe, stdout and stderr
        ``fds``: a function that kills the run and all it started, and the run's exit code."""
        await self._ensure_started()
        loop = asyncio.get_running_loop()
        run_id = next(self._ids)
        if self._reader.done():  # it stopped before this run: nothing would ever answer
            raise ForkServerError(f"the fork server of Python {self.interpreter.version} stopped")
        started = self._started[run_id] = loop.create_future()
        exited = self._exited[run_id] = loop.create_future()
        message = json.dumps({"id": run_id, "script": script, "cwd": cwd}).encode()
        try:
            socket.send_fds(self._socket, [message], list(fds))
        except OSError as error:
            raise ForkServerError(f"the fork server of Python {self.interpreter.version} stopped: {error}") from None
        try:
            await started
        except ForkServerError:
            self._exited.pop(run_id, None)
            if exited.done():
                exited.exception()  # said once, by the raise below: not again as "never retrieved"
            raise
        return lambda: self._kill(run_id), exited

    def _kill(self, run_id: int) -> None:
        with contextlib.suppress(OSError, AttributeError):  # a server that is gone has ended its runs too
            self._socket.send(json.dumps({"kill": run_id}).encode())

    async def close(self) -> None:
        """Stop the server, then remove its runs' folders. Each run's folder is left until now:
        removing a folder that other runs' sandboxes have mounted waits for the kernel's lock on
        mount points, 5 ms a run, which held up the whole batch's event loop."""
        if self._socket is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._socket.close()  # the server sees the end and exits
            await self._process.wait()
            self._socket = None
        if self._runs_dir is not None:
            await asyncio.to_thread(shutil.rmtree, self._runs_dir, ignore_errors=True)
            self._runs_dir = None
