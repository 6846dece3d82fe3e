import asyncio

running = 0


async def job(n: int, seconds: float, limit: asyncio.Semaphore) -> None:
    global running
    async with limit:  # at most two inside at once
        running += 1
        print(f"job {n} starts ({running} running)")
        await asyncio.sleep(seconds)
        running -= 1
        print(f"job {n} done")


async def main() -> None:
    limit = asyncio.Semaphore(2)
    async with asyncio.TaskGroup() as group:
        for n, seconds in enumerate([0.6, 0.9, 0.6, 0.6], start=1):
            group.create_task(job(n, seconds, limit))


if __name__ == "__main__":
    asyncio.run(main())
