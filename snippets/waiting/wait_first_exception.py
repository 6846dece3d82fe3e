import asyncio


async def fetch(name: str, delay: float) -> str:
    await asyncio.sleep(delay)
    print(f"{name} finished")
    return f"{name} result"


async def fail(name: str, delay: float) -> str:
    await asyncio.sleep(delay)
    print(f"{name} raises")
    raise ConnectionError(f"{name} lost the connection")


async def main() -> None:
    name_of = {
        asyncio.create_task(fetch("fast", 0.5)): "fast",
        asyncio.create_task(fail("broken", 1.0)): "broken",
        asyncio.create_task(fetch("slow", 2.0)): "slow",
    }
    # Returns when a task raises (or when all are done); wait() itself never raises.
    done, pending = await asyncio.wait(name_of, return_when=asyncio.FIRST_EXCEPTION)
    print("pending:", sorted(name_of[task] for task in pending))
    for task in sorted(done, key=name_of.get):
        error = task.exception()
        outcome = f"{type(error).__name__}: {error}" if error else task.result()
        print(f"{name_of[task]}: {outcome}")
    # Nothing was cancelled for us: cancel what is left ourselves.
    for task in pending:
        task.cancel()
    await asyncio.wait(pending)
    print("slow cancelled:", all(task.cancelled() for task in pending))


if __name__ == "__main__":
    asyncio.run(main())
