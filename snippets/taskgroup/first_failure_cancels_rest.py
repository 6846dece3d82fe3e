import asyncio


async def fetch(name: str, seconds: float) -> str:
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        print(f"{name} cancelled")
        raise
    print(f"{name} finished")
    return name


async def broken(seconds: float) -> str:
    await asyncio.sleep(seconds)
    raise ValueError("bad response")


async def main() -> None:
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(fetch("A", 0.5))
            group.create_task(broken(1))
            group.create_task(fetch("B", 2))
    except ExceptionGroup as group_error:
        print(f"{type(group_error).__name__}: {group_error}")
        print(f"inside: {group_error.exceptions!r}")


if __name__ == "__main__":
    asyncio.run(main())
