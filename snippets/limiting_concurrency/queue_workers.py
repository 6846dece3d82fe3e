import asyncio


async def worker(name: str, queue: asyncio.Queue[tuple[str, float]]) -> None:
    while True:
        job, seconds = await queue.get()
        try:
            await asyncio.sleep(seconds)
            print(f"{name} finished {job} ({seconds} s)")
        finally:
            queue.task_done()  # count the job as handled, even if it failed


async def main() -> None:
    queue: asyncio.Queue[tuple[str, float]] = asyncio.Queue()
    for number, seconds in enumerate([1.0, 0.4, 0.4, 0.8, 0.4, 0.6], start=1):
        queue.put_nowait((f"job {number}", seconds))

    workers = [asyncio.create_task(worker(f"worker {n}", queue)) for n in range(1, 4)]
    await queue.join()  # returns once task_done() was called for every job
    print("all jobs done")

    # The workers are waiting in queue.get() for jobs that will never come.
    for task in workers:
        task.cancel()
    await asyncio.gather(*workers, return_exceptions=True)
    print("workers stopped")


if __name__ == "__main__":
    asyncio.run(main())
