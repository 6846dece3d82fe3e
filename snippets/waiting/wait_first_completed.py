import asyncio


async def fetch(name: str, delay: float) -> str:
    await asyncio.sleep(delay)
    print(f"{name} finished")
    return f"{name} result"


async def main() -> None:
    delays = {"fast": 0.5, "medium": 1.0, "slow": 1.5}
    name_of = {asyncio.create_task(fetch(name, delay)): name for name, delay in delays.items()}
    done, pending = await asyncio.wait(name_of, return_when=asyncio.FIRST_COMPLETED)
    # done and pending are sets: sort the names to print them in a stable order.
    print("done:", sorted(name_of[task] for task in done))
    print("pending:", sorted(name_of[task] for task in pending))
    for task in done:
        print("first result:", task.result())
    # wait() cancelled nothing: the pending tasks are still running.
    await asyncio.wait(pending)
    print("all finished")


if __name__ == "__main__":
    asyncio.run(main())
