import asyncio


async def handle_connection() -> None:
    print("connection opened")
    try:
        await asyncio.sleep(5)  # serving the client
    finally:
        print("closing connection")
        await asyncio.sleep(0.3)  # cleanup can await, e.g. to send a goodbye
        print("connection closed")


async def main() -> None:
    task = asyncio.create_task(handle_connection())
    await asyncio.sleep(1)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        print("task cancelled:", task.cancelled())


if __name__ == "__main__":
    asyncio.run(main())
