import asyncio
import time


def blocking_work(seconds: float) -> None:
    time.sleep(seconds)  # holds the thread, and so the event loop


async def ticker() -> None:
    for n in [1, 2]:
        await asyncio.sleep(0.6)
        print(f"tick {n}")


async def blocker() -> None:
    await asyncio.sleep(0.3)
    print("blocker: a step that blocks for 0.6 s")
    blocking_work(0.6)
    print("blocker: step done")


async def main() -> None:
    async with asyncio.TaskGroup() as group:
        group.create_task(ticker())
        group.create_task(blocker())


if __name__ == "__main__":
    asyncio.run(main())
