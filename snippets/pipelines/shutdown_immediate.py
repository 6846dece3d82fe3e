import asyncio


async def worker(name: str, jobs: asyncio.Queue[float]) -> None:
    while True:
        try:
            seconds = await jobs.get()
        except asyncio.QueueShutDown:
            print(f"{name} stops")
            return
        try:
            await asyncio.sleep(seconds)  # the work
            print(f"{name} finished a {seconds} s job")
        finally:
            jobs.task_done()


async def main() -> None:
    jobs: asyncio.Queue[float] = asyncio.Queue()
    for seconds in [0.6, 0.3, 0.9, 0.9, 0.4, 0.3, 0.3, 0.3]:
        jobs.put_nowait(seconds)
    async with asyncio.TaskGroup() as group:
        for name in ["worker 1", "worker 2"]:
            group.create_task(worker(name, jobs))
        await asyncio.sleep(0.9)  # then we are told to stop
        print(f"main: stop now, {jobs.qsize()} jobs still queued")
        jobs.shutdown(immediate=True)  # drops them; jobs in progress run to their end
        try:
            jobs.put_nowait(1.0)
        except asyncio.QueueShutDown:
            print("main: put() after shutdown raises QueueShutDown")
        await jobs.join()  # the dropped jobs count as done
        print("main: join() returned")


if __name__ == "__main__":
    asyncio.run(main())
