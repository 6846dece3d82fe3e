import asyncio


async def fetch(name: str, seconds: float) -> str:
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        print(f"{name} cancelled")
        raise
    print(f"{name} finished")
    return name


async def fail_after(seconds: float) -> None:
    await asyncio.sleep(seconds)
    raise ValueError("bad response")


async def main() -> None:
    print("gather:")
    try:
        await asyncio.gather(fetch("A", 1), fail_after(0.5))
    except ValueError as exc:
        print(f"gather raised {exc!r}; A is still running")
    await asyncio.sleep(0.75)

    print("TaskGroup:")
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(fetch("B", 1))
            tg.create_task(fail_after(0.5))
    except* ValueError as group:
        print(f"TaskGroup raised {group.exceptions!r}")


if __name__ == "__main__":
    asyncio.run(main())
