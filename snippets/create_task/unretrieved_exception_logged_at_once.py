import asyncio

background_tasks: set[asyncio.Task] = set()


async def send_email(to: str) -> None:
    await asyncio.sleep(0.1)
    raise ConnectionError(f"mail server refused {to}")


def send_in_background(to: str) -> None:
    task = asyncio.create_task(send_email(to))
    background_tasks.add(task)
    task.add_done_callback(background_tasks.discard)  # the last reference goes here


async def main() -> None:
    send_in_background("ana")
    await asyncio.sleep(0.4)  # nobody awaits the task or asks for its exception
    print("main carries on")


if __name__ == "__main__":
    asyncio.run(main())
