import asyncio
from collections.abc import Coroutine

background: set[asyncio.Task[None]] = set()


def start_in_background(coro: Coroutine[None, None, None]) -> None:
    task = asyncio.create_task(coro)
    background.add(task)  # keeps the task alive while it runs ...
    task.add_done_callback(background.discard)  # ... and lets it go once done


async def send_report() -> None:
    await asyncio.sleep(0.2)
    raise ConnectionError("mail server refused")


async def main() -> None:
    start_in_background(send_report())
    await asyncio.sleep(0.6)
    print("main: still running, never told about the error")


if __name__ == "__main__":
    asyncio.run(main())
