import asyncio
import time


def blocking_work(seconds: float) -> None:
    time.sleep(seconds)  # holds the thread, and so the event loop


async def child() -> None:
    print("child: its first step runs")


async def main() -> None:
    task = asyncio.create_task(child())  # queued in the loop's ready queue, not run
    print("main: task created")
    blocking_work(0.5)
    print("main: still in the same step; the child has not run")
    await asyncio.sleep(0)  # ends main's step: the loop runs what is ready
    print("main: resumed after the child's step")
    await task


if __name__ == "__main__":
    asyncio.run(main())
