import asyncio


async def broken() -> None:
    await asyncio.sleep(0.2)
    raise ValueError("bad response")


async def slow_to_stop() -> None:
    try:
        await asyncio.sleep(2)
    except asyncio.CancelledError:
        await asyncio.sleep(0.4)  # cleanup that takes a while
        raise


async def worker() -> None:
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(broken())
            group.create_task(slow_to_stop())
    except* ValueError:
        print(f"worker: caught ValueError; cancelling() = {asyncio.current_task().cancelling()}")
    await asyncio.sleep(0.5)  # a cancelled task stops at this await
    print("worker: still running after main cancelled it")


async def main() -> None:
    worker_task = asyncio.create_task(worker())
    await asyncio.sleep(0.4)  # broken has failed; the group waits for slow_to_stop
    worker_task.cancel()
    try:
        await worker_task
        print("main: worker finished normally")
    except asyncio.CancelledError:
        print("main: worker was cancelled")


if __name__ == "__main__":
    asyncio.run(main())
