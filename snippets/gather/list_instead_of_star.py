import asyncio


async def fetch(page: int) -> str:
    await asyncio.sleep(0.5)
    return f"page {page}"


async def main() -> None:
    coros = [fetch(page) for page in (1, 2, 3)]
    try:
        await asyncio.gather(coros)  # the list itself: should be gather(*coros)
    except TypeError as error:
        print(f"TypeError: {error}")
    del coros  # the three coroutines are freed here, never run
    print("main goes on")


if __name__ == "__main__":
    asyncio.run(main())
