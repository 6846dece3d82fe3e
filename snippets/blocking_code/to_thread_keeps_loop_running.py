import asyncio
import time


async def ticker() -> None:
    for tick in range(1, 5):
        await asyncio.sleep(0.6)
        print(f"tick {tick}")


def read_report() -> str:
    time.sleep(1.5)  # a blocking call, now run in a worker thread
    return "report"


async def load_report() -> None:
    print("load_report: blocking call starts")
    report = await asyncio.to_thread(read_report)  # the loop keeps running meanwhile
    print(f"load_report: got {report!r}")


async def main() -> None:
    async with asyncio.TaskGroup() as tg:
        tg.create_task(ticker())
        tg.create_task(load_report())


if __name__ == "__main__":
    asyncio.run(main())
