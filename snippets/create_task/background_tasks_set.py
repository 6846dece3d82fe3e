import asyncio

background_tasks: set[asyncio.Task] = set()


async def send_email(to: str, seconds: float) -> None:
    await asyncio.sleep(seconds)
    print(f"email sent to {to}")


def send_in_background(to: str, seconds: float) -> None:
    task = asyncio.create_task(send_email(to, seconds))
    background_tasks.add(task)  # a strong reference: the task cannot be collected
    task.add_done_callback(background_tasks.discard)  # drop it once it is done


async def main() -> None:
    send_in_background("ana", 0.4)
    send_in_background("bo", 1)
    print(f"{len(background_tasks)} tasks running")
    await asyncio.sleep(0.7)
    print(f"{len(background_tasks)} task running")
    await asyncio.sleep(0.6)
    print(f"{len(background_tasks)} tasks running")


if __name__ == "__main__":
    asyncio.run(main())
