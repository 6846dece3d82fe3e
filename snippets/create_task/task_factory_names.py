import asyncio
import sys


async def worker() -> None:
    print(f"  first step: {asyncio.current_task().get_name()!r}")
    await asyncio.sleep(0)
    print(f"  after it:   {asyncio.current_task().get_name()!r}")


def lazy_task_factory(loop, coro, **kwargs):
    return asyncio.Task(coro, loop=loop, **kwargs)  # an ordinary task, started later


async def main() -> None:
    factories = {"lazy factory": lazy_task_factory}
    if sys.version_info >= (3, 12):
        factories["eager factory"] = asyncio.eager_task_factory
    for label, factory in factories.items():
        asyncio.get_running_loop().set_task_factory(factory)
        print(label)
        await asyncio.create_task(worker())  # no name= given


if __name__ == "__main__":
    asyncio.run(main())
