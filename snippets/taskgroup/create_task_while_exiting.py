import asyncio


async def fetch(name: str, seconds: float) -> None:
    await asyncio.sleep(seconds)
    print(f"{name} finished")


async def crawl(group: asyncio.TaskGroup) -> None:
    await asyncio.sleep(0.5)
    group.create_task(fetch("linked page", 0.5))  # the body has ended: still accepted
    print("crawl added a task")


async def main() -> None:
    async with asyncio.TaskGroup() as group:
        group.create_task(crawl(group))
        print("end of the body")
    print("the block has ended: the group is finished")


if __name__ == "__main__":
    asyncio.run(main())
