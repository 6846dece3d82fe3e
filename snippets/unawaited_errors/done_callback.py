import asyncio
import logging

logging.basicConfig(format="%(levelname)s %(message)s")
background: set[asyncio.Task[None]] = set()


def report_failure(task: asyncio.Task[None]) -> None:
    background.discard(task)
    if not task.cancelled() and (error := task.exception()) is not None:  # exception() marks it as seen
        logging.error("%s failed: %r", task.get_name(), error)


async def send_report() -> None:
    await asyncio.sleep(0.2)
    raise ConnectionError("mail server refused")


async def main() -> None:
    task = asyncio.create_task(send_report(), name="report")
    background.add(task)
    task.add_done_callback(report_failure)
    await asyncio.sleep(0.6)
    print("main: done")


if __name__ == "__main__":
    asyncio.run(main())
