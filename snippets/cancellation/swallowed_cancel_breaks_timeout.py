import asyncio


async def fetch_quietly() -> str:
    try:
        await asyncio.sleep(2)
        return "data"
    except asyncio.CancelledError:
        return "no data"  # the mistake: the cancellation stops here


async def main() -> None:
    try:
        async with asyncio.timeout(0.5):
            result = await fetch_quietly()
            print("fetched:", result)
            await asyncio.sleep(1)  # still inside the block, well past the deadline
            print("block finished")
    except TimeoutError:
        print("timed out")  # never printed


if __name__ == "__main__":
    asyncio.run(main())
