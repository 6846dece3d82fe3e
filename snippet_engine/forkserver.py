"""Start snippet processes by forking a warm interpreter (one per Python version) instead of afresh.

A fresh ``python`` spends most of a short snippet's CPU time starting up and importing
asyncio; on a 2-core machine running 180 snippets that start-up, not the snippets' waits,
would set the suite's time. ``child/_snippet_forkserver.py`` pays it once per version.
``record`` never uses this: expected output always comes from real ``python name.py`` runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
from pathlib import Path

from .interpreters import Interpreter

SERVER = Path(__file__).parent / "child" / "_snippet_forkserver.py"


class ForkServerError(RuntimeError):
    pass


class ForkServer:
    def __init__(self, interpreter: Interpreter, env: dict[str, str]):
        self.interpreter, self.env = interpreter, env
        self._ids = itertools.count(1)
        self._started: dict[int, asyncio.Future[int]] = {}
        self._exited: dict[int, asyncio.Future[int]] = {}
        self._lock = asyncio.Lock()
        self._socket: socket.socket | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task | None = None

    async def _ensure_started(self) -> None:
        async with self._lock:
            if self._socket is not None:
                return
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            self._process = await asyncio.create_subprocess_exec(
                self.interpreter.executable, "-s", "-u", str(SERVER), str(theirs.fileno()),
                env=self.env, pass_fds=(theirs.fileno(),), stdin=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            theirs.close()
            ours.setblocking(False)
            self._socket = ours
            self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        loop = asyncio.get_running_loop()
        while message := await loop.sock_recv(self._socket, 256):
            kind, run_id, value = message.decode().split()
            futures = self._started if kind == "started" else self._exited
            future = futures.pop(int(run_id))
            if not future.done():
                future.set_result(int(value))
        for future in (*self._started.values(), *self._exited.values()):  # the server died
            if not future.done():
                future.set_exception(ForkServerError(f"the fork server of Python {self.interpreter.version} stopped"))

    async def launch(self, script: str, cwd: str, fds: tuple[int, int, int]) -> tuple[int, asyncio.Future[int]]:
        """Start ``script`` in ``cwd`` with the recorder pipe, stdout and stderr ``fds``: (pid, its exit code)."""
        await self._ensure_started()
        loop = asyncio.get_running_loop()
        run_id = next(self._ids)
        started = self._started[run_id] = loop.create_future()
        exited = self._exited[run_id] = loop.create_future()
        message = json.dumps({"id": run_id, "script": script, "cwd": cwd}).encode()
        socket.send_fds(self._socket, [message], list(fds))
        return await started, exited

    async def close(self) -> None:
        if self._socket is None:
            return
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        self._socket.close()  # the server sees the end and exits
        await self._process.wait()
        self._socket = None
