import asyncio
import inspect


async def fetch(name: str) -> str:
    await asyncio.sleep(0.5)
    return name


async def main() -> None:
    async with asyncio.TaskGroup() as group:
        group.create_task(fetch("A"))
    late = fetch("late")
    try:
        group.create_task(late)  # the group has finished
    except RuntimeError as exc:
        print(f"RuntimeError: {exc}")
    print(f"the late coroutine is {inspect.getcoroutinestate(late)}")
    del late  # dropped: warns on stderr if it was never closed


if __name__ == "__main__":
    asyncio.run(main())
