import asyncio


async def worker(name: str) -> str:
    print(f"{name}: started")  # with eager tasks this runs inside create_task()
    await asyncio.sleep(1)  # the first suspension: create_task() returns here
    print(f"{name}: finished")
    return name


async def main() -> None:
    asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)  # 3.12+
    task = asyncio.create_task(worker("eager"), name="eager worker")
    print("main: create_task() returned")
    print(f"main: task done? {task.done()}")
    await task


if __name__ == "__main__":
    asyncio.run(main())
