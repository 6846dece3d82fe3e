import asyncio


async def waiter(name: str, ready: asyncio.Event) -> None:
    await ready.wait()
    print(f"{name} woke up")


async def main() -> None:
    ready = asyncio.Event()
    async with asyncio.TaskGroup() as group:
        for name in ["A", "B", "C"]:
            group.create_task(waiter(name, ready))
        await asyncio.sleep(0.5)
        print("main: set()")
        ready.set()  # wakes every task waiting, and stays set
    await asyncio.sleep(0.3)
    await ready.wait()  # already set: returns at once
    print("main: a wait() after set() returned at once")


if __name__ == "__main__":
    asyncio.run(main())
