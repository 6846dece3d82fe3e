import asyncio
import time


def blocking_work(seconds: float) -> None:
    time.sleep(seconds)  # holds the thread, and so the event loop


async def worker(name: str) -> None:
    for step in [1, 2, 3]:
        blocking_work(0.3)
        print(f"{name}: step {step}")
        await asyncio.sleep(0)  # back to the end of the ready queue


async def main() -> None:
    async with asyncio.TaskGroup() as group:
        group.create_task(worker("A"))
        group.create_task(worker("B"))


if __name__ == "__main__":
    asyncio.run(main())
