import asyncio
import time


def blocking_work(seconds: float) -> None:
    time.sleep(seconds)  # holds the thread, and so the event loop


async def waiter(future: asyncio.Future[str]) -> None:
    value = await future
    print(f"waiter: woke up with {value!r}")


async def main() -> None:
    future = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(waiter(future))
    await asyncio.sleep(0.3)
    future.set_result("ready")  # schedules the waiter's next step; does not run it
    print(f"main: set the result; future.done() is {future.done()}")
    blocking_work(0.3)
    print("main: still running; the waiter has not woken")
    await task  # main's step ends here: now the waiter runs


if __name__ == "__main__":
    asyncio.run(main())
