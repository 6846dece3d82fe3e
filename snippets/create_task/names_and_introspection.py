import asyncio


async def worker(seconds: float) -> None:
    me = asyncio.current_task()  # the task running this coroutine
    print(f"{me.get_name()} started")
    await asyncio.sleep(seconds)


async def main() -> None:
    fast_task = asyncio.create_task(worker(0.5), name="fast worker")
    slow_task = asyncio.create_task(worker(1), name="slow worker")
    print(f"main runs in {asyncio.current_task().get_name()}")
    await asyncio.sleep(0.75)
    names = sorted(task.get_name() for task in asyncio.all_tasks())  # a set: sort it
    print(f"not done: {names}")
    print(f"fast done? {fast_task.done()}, slow done? {slow_task.done()}")
    await slow_task


if __name__ == "__main__":
    asyncio.run(main())
