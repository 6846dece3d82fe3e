import asyncio


async def producer(jobs: asyncio.Queue[float]) -> None:
    for seconds in [0.3, 0.6, 0.9, 0.3, 0.6]:
        await jobs.put(seconds)  # waits while the queue is full (maxsize=2)
    jobs.shutdown()  # no more jobs: workers still get those already queued
    print(f"producer: shut the queue down with {jobs.qsize()} jobs in it")


async def worker(name: str, jobs: asyncio.Queue[float], results: list[str]) -> None:
    while True:
        try:
            seconds = await jobs.get()
        except asyncio.QueueShutDown:  # shut down and empty
            print(f"{name} stops")
            return
        await asyncio.sleep(seconds)  # the work
        results.append(f"{name}: {seconds} s job")
        print(f"{name} finished a {seconds} s job")


async def main() -> None:
    jobs: asyncio.Queue[float] = asyncio.Queue(maxsize=2)
    results: list[str] = []
    async with asyncio.TaskGroup() as group:
        group.create_task(producer(jobs))
        for name in ["worker 1", "worker 2"]:
            group.create_task(worker(name, jobs, results))
    print(f"{len(results)} results, every task ended on its own")


if __name__ == "__main__":
    asyncio.run(main())
