import asyncio


async def upload() -> None:
    try:
        await asyncio.sleep(5)
    finally:
        print("upload: cancelled, removing the partial file")
        await asyncio.sleep(0.4)  # cleanup that itself takes time
        print("upload: cleaned up")


async def main() -> None:
    try:
        async with asyncio.timeout(0.5):
            async with asyncio.TaskGroup() as group:
                group.create_task(upload())
    except TimeoutError:
        print("main: TimeoutError, once the cleanup is over")


if __name__ == "__main__":
    asyncio.run(main())
