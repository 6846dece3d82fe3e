import asyncio


async def slow_download() -> str:
    print("download runs in", asyncio.current_task().get_name())
    try:
        await asyncio.sleep(2)
        return "data"
    except asyncio.CancelledError:
        print("download cancelled")
        raise


async def main() -> None:
    print("main runs in", asyncio.current_task().get_name())
    try:
        data = await asyncio.wait_for(slow_download(), timeout=1)
        print("got", data)
    except TimeoutError:
        print("timed out")


if __name__ == "__main__":
    asyncio.run(main())
