import asyncio


async def party(name: str, seconds: float, barrier: asyncio.Barrier) -> None:
    await asyncio.sleep(seconds)  # getting ready takes a different time for each
    print(f"{name} arrives, {barrier.n_waiting} already waiting")
    await barrier.wait()  # until all three have arrived
    print(f"{name} passes")


async def main() -> None:
    barrier = asyncio.Barrier(3)
    async with asyncio.TaskGroup() as group:
        group.create_task(party("A", 0.3, barrier))
        group.create_task(party("B", 0.9, barrier))
        group.create_task(party("C", 0.6, barrier))


if __name__ == "__main__":
    asyncio.run(main())
