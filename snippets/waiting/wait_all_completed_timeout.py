import asyncio


async def fetch(name: str, delay: float) -> str:
    await asyncio.sleep(delay)
    print(f"{name} finished")
    return f"{name} result"


async def main() -> None:
    delays = {"fast": 0.5, "medium": 1.0, "slow": 2.0}
    name_of = {asyncio.create_task(fetch(name, delay)): name for name, delay in delays.items()}
    # ALL_COMPLETED is the default. With a timeout, wait() returns when time is up,
    # without raising TimeoutError and without cancelling anything.
    done, pending = await asyncio.wait(name_of, timeout=1.5)
    print("done:", sorted(name_of[task] for task in done))
    print("pending:", sorted(name_of[task] for task in pending))
    done, pending = await asyncio.wait(pending)  # ALL_COMPLETED, no timeout
    print("then done:", sorted(name_of[task] for task in done), "pending:", len(pending))


if __name__ == "__main__":
    asyncio.run(main())
