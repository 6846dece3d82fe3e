import asyncio


async def task1() -> str:
    await asyncio.sleep(1)
    return "done"


async def main() -> None:
    # Assigning to task1 anywhere in main makes it a local name in all of main,
    # so task1() on the right-hand side refers to the local, which has no value yet.
    task1 = asyncio.create_task(task1())
    print(await task1)


if __name__ == "__main__":
    asyncio.run(main())
