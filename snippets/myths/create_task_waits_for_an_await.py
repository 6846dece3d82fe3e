import asyncio
import time


async def worker() -> None:
    print("worker: started")
    await asyncio.sleep(0.5)
    print("worker: finished")


async def main() -> None:
    task = asyncio.create_task(worker())
    print("main: task created, now one second of work without an await")
    time.sleep(1)  # noqa: ASYNC251 - synchronous work: the loop cannot run the task
    print("main: work done, first await")
    await task


if __name__ == "__main__":
    asyncio.run(main())
