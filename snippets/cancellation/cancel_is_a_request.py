import asyncio
import time


async def wait_for_reply() -> None:
    print("worker: waiting for a reply")
    try:
        await asyncio.sleep(2)
    except asyncio.CancelledError:
        print("worker: CancelledError raised at its await")
        raise


async def main() -> None:
    task = asyncio.create_task(wait_for_reply())
    await asyncio.sleep(0.5)
    print("main: cancel() returned", task.cancel())
    print("main: task.cancelled() right after:", task.cancelled())
    time.sleep(0.5)  # noqa: ASYNC251 - main keeps the loop busy: the worker cannot run yet
    print("main: now awaiting the task")
    try:
        await task
    except asyncio.CancelledError:
        print("main: task.cancelled() now:", task.cancelled())


if __name__ == "__main__":
    asyncio.run(main())
