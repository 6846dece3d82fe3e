import asyncio


async def worker() -> None:
    print("worker: started")
    await asyncio.sleep(1)
    print("worker: finished")


async def main() -> None:
    task = asyncio.create_task(worker())
    print("main: task created; the worker has not run yet")
    await asyncio.sleep(0)  # main's first await that suspends: now the loop runs the worker
    print("main: back after the first await")
    await task


if __name__ == "__main__":
    asyncio.run(main())
