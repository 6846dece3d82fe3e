import asyncio

DONE = None  # the sentinel: one per worker, put after the last job


async def producer(jobs: asyncio.Queue[float | None], workers: int) -> None:
    for seconds in [0.3, 0.6, 0.9, 0.3, 0.6]:
        await jobs.put(seconds)  # waits while the queue is full (maxsize=2)
        print(f"producer: queued a {seconds} s job")
    for _ in range(workers):
        await jobs.put(DONE)
    print("producer: done")


async def worker(name: str, jobs: asyncio.Queue[float | None], results: list[str]) -> None:
    while (seconds := await jobs.get()) is not DONE:
        await asyncio.sleep(seconds)  # the work
        results.append(f"{name}: {seconds} s job")
        print(f"{name} finished a {seconds} s job")
    print(f"{name} stops")


async def main() -> None:
    jobs: asyncio.Queue[float | None] = asyncio.Queue(maxsize=2)
    results: list[str] = []
    async with asyncio.TaskGroup() as group:
        group.create_task(producer(jobs, workers=2))
        for name in ["worker 1", "worker 2"]:
            group.create_task(worker(name, jobs, results))
    print(f"{len(results)} results, every task ended on its own")


if __name__ == "__main__":
    asyncio.run(main())
