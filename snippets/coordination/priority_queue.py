import asyncio


async def worker(jobs: asyncio.PriorityQueue[tuple[int, str]]) -> None:
    while True:
        priority, name = await jobs.get()  # always the smallest item
        await asyncio.sleep(0.4)  # the work
        print(f"worker: did {name} (priority {priority})")
        jobs.task_done()


async def main() -> None:
    jobs: asyncio.PriorityQueue[tuple[int, str]] = asyncio.PriorityQueue()
    for job in [(2, "report a"), (3, "cleanup"), (2, "report b"), (1, "alert")]:
        jobs.put_nowait(job)
    task = asyncio.create_task(worker(jobs))
    await asyncio.sleep(0.6)
    jobs.put_nowait((1, "late alert"))
    print("main: queued late alert (priority 1)")
    await jobs.join()
    task.cancel()


if __name__ == "__main__":
    asyncio.run(main())
