import asyncio


async def fetch(name: str, delay: float) -> str:
    await asyncio.sleep(delay)
    return f"{name} result"


async def main() -> None:
    tasks = [
        asyncio.create_task(fetch("slow", 1.5)),
        asyncio.create_task(fetch("fast", 0.5)),
        asyncio.create_task(fetch("medium", 1.0)),
    ]
    # Python 3.13+: async iteration yields the original tasks, already done.
    async for task in asyncio.as_completed(tasks):
        print(f"tasks[{tasks.index(task)}] done:", task.result())


if __name__ == "__main__":
    asyncio.run(main())
