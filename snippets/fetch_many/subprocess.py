import asyncio
import sys

CHILD = "import time; time.sleep(0.85); print('report ready')"


async def heartbeat() -> None:
    for _ in range(3):
        await asyncio.sleep(0.6)
        print("main loop: still responsive")


async def main() -> None:
    beats = asyncio.create_task(heartbeat())
    # -I -S: an isolated child Python that starts fast; its output comes back through a pipe.
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-I", "-S", "-c", CHILD, stdout=asyncio.subprocess.PIPE
    )
    stdout, _ = await process.communicate()  # reads the pipe and waits for the exit, without blocking
    print(f"child said {stdout.decode().strip()!r}, exit code {process.returncode}")
    await beats


if __name__ == "__main__":
    asyncio.run(main())
