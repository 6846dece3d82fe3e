import asyncio


async def fetch(name: str) -> str:
    print(f"{name} started")
    await asyncio.sleep(1)
    print(f"{name} finished")
    return name


async def main() -> None:
    task = asyncio.create_task(fetch("A"))  # a task: the event loop will run it
    print("main sleeps 1.5 s without awaiting the task")
    await asyncio.sleep(1.5)
    print(f"task done? {task.done()}; result {task.result()!r}")


if __name__ == "__main__":
    asyncio.run(main())
