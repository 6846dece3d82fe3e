import asyncio
import time


def write_backup() -> None:
    time.sleep(1)  # blocking work in the default thread pool
    print("thread: backup written")


async def main() -> None:
    asyncio.get_running_loop().run_in_executor(None, write_backup)  # started, never awaited
    await asyncio.sleep(0.3)
    print("main: returns")


if __name__ == "__main__":
    asyncio.run(main())  # waits for the default executor's threads before it returns
    print("asyncio.run() returned")
