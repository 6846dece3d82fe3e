import asyncio


async def job(number: int, limit: asyncio.Semaphore) -> None:
    async with limit:
        print(f"job {number} started")
        await asyncio.sleep(1)


async def main() -> None:
    limit = asyncio.Semaphore(2)
    limit.release()  # a bug: a release without an acquire raises the limit to 3
    await asyncio.gather(*(job(number, limit) for number in range(1, 4)))

    bounded = asyncio.BoundedSemaphore(2)
    try:
        bounded.release()  # the same bug, caught at once
    except ValueError as exc:
        print(f"ValueError: {exc}")


if __name__ == "__main__":
    asyncio.run(main())
