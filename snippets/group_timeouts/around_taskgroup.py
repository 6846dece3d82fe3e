import asyncio


async def job(name: str, seconds: float) -> str:
    await asyncio.sleep(seconds)
    print(f"{name}: done")
    return name


async def main() -> None:
    try:
        async with asyncio.timeout(1.0):  # one deadline for the whole group
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(job(name, s)) for name, s in [("a", 0.5), ("b", 1.5), ("c", 2.5)]]
    except TimeoutError:
        print("main: TimeoutError")
    print([task.result() if not task.cancelled() else "cancelled" for task in tasks])


if __name__ == "__main__":
    asyncio.run(main())
