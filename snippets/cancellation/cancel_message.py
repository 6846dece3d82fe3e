import asyncio


async def poll_updates() -> None:
    try:
        await asyncio.sleep(2)
    except asyncio.CancelledError as exc:
        print("worker got:", repr(exc))
        raise


async def main() -> None:
    task = asyncio.create_task(poll_updates())
    await asyncio.sleep(0.5)
    task.cancel("server shutting down")
    try:
        await task
    except asyncio.CancelledError as exc:
        print("main got:", repr(exc))


if __name__ == "__main__":
    asyncio.run(main())
