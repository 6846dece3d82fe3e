import asyncio


async def download(number: int, limit: asyncio.Semaphore) -> str:
    async with limit:  # at most 2 tasks get past this line at a time
        print(f"download {number} started")
        await asyncio.sleep(1)
    return f"file {number}"


async def main() -> None:
    limit = asyncio.Semaphore(2)
    files = await asyncio.gather(*(download(number, limit) for number in range(1, 7)))
    print(files)


if __name__ == "__main__":
    asyncio.run(main())
