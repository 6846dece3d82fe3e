import asyncio


async def stubborn_worker() -> str:
    try:
        await asyncio.sleep(2)
    except asyncio.CancelledError:
        print("worker: caught CancelledError, carrying on")  # the mistake
    await asyncio.sleep(1)
    print("worker: finished anyway")
    return "late result"


async def main() -> None:
    task = asyncio.create_task(stubborn_worker())
    await asyncio.sleep(0.5)
    task.cancel()
    result = await task  # no CancelledError here
    print("result:", result)
    print("task.cancelled():", task.cancelled())
    print("task.cancelling():", task.cancelling())


if __name__ == "__main__":
    asyncio.run(main())
