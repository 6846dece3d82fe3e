import asyncio


async def job(name: str, seconds: float) -> str:
    await asyncio.sleep(seconds)
    return f"{name} ok"


async def with_own_timeout(name: str, seconds: float) -> str:
    try:
        async with asyncio.timeout(1.0):  # each job has its own deadline
            return await job(name, seconds)
    except TimeoutError:
        print(f"{name}: gave up after 1 s")
        return f"{name} timed out"


async def main() -> None:
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(with_own_timeout(name, s)) for name, s in [("a", 0.5), ("b", 1.5), ("c", 0.8)]]
    print([task.result() for task in tasks])


if __name__ == "__main__":
    asyncio.run(main())
