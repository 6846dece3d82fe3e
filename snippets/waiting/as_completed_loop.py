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
    for next_done in asyncio.as_completed(tasks):
        # next_done is a new awaitable, not one of our tasks.
        print("one of our tasks?", next_done in tasks)
        print(await next_done)


if __name__ == "__main__":
    asyncio.run(main())
