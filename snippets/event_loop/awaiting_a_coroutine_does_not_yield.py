import asyncio
import time


def blocking_work(seconds: float) -> None:
    time.sleep(seconds)  # holds the thread, and so the event loop


async def parse(part: int) -> int:  # a coroutine that never suspends
    blocking_work(0.3)
    return part


async def other() -> None:
    print("other task: first step")


async def main() -> None:
    task = asyncio.create_task(other())
    for part in [1, 2, 3]:
        await parse(part)  # runs parse() inside main's step, like a call
        print(f"main: awaited parse({part})")
    await asyncio.sleep(0)  # the first await that reaches the loop
    print("main: after sleep(0)")
    await task


if __name__ == "__main__":
    asyncio.run(main())
