import asyncio


def handler(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    # Called for every error nobody else handled: here, a task freed with its exception unseen.
    print(f"handler: {context['message']}: {context['exception']!r}")


async def send_report() -> None:
    await asyncio.sleep(0.2)
    raise ConnectionError("mail server refused")


async def main() -> None:
    asyncio.get_running_loop().set_exception_handler(handler)
    asyncio.create_task(send_report())  # noqa: RUF006 -- no reference kept: freed once it is done
    await asyncio.sleep(0.6)
    print("main: done")


if __name__ == "__main__":
    asyncio.run(main())
