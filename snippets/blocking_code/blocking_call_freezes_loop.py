import asyncio
import time


async def ticker() -> None:
    for tick in range(1, 5):
        await asyncio.sleep(0.4)
        print(f"tick {tick}")


async def load_report() -> None:
    print("load_report: blocking call starts")
    time.sleep(1)  # noqa: ASYNC251 - stands in for requests.get(), a slow query, heavy CPU
    print("load_report: blocking call done")


async def main() -> None:
    async with asyncio.TaskGroup() as tg:
        tg.create_task(ticker())
        tg.create_task(load_report())


if __name__ == "__main__":
    asyncio.run(main())
