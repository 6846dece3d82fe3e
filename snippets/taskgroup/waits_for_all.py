import asyncio


async def fetch(name: str, seconds: float) -> str:
    await asyncio.sleep(seconds)
    print(f"{name} finished")
    return f"result of {name}"


async def main() -> None:
    async with asyncio.TaskGroup() as group:
        a_task = group.create_task(fetch("A", 1))
        b_task = group.create_task(fetch("B", 2))
        print("both tasks created; leaving the block waits for them")
    # Here every task of the group is done.
    print([a_task.result(), b_task.result()])


if __name__ == "__main__":
    asyncio.run(main())
