import asyncio


async def fetch(page: int) -> str:
    await asyncio.sleep(1.5 - page * 0.25)  # later pages answer sooner
    print(f"page {page} fetched")
    return f"page {page}"


async def main() -> None:
    coros = [fetch(page) for page in range(1, 5)]
    pages = await asyncio.gather(*coros)  # * spreads the list into arguments
    print(pages)


if __name__ == "__main__":
    asyncio.run(main())
