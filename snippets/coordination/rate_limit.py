import asyncio

running = 0


class RateLimit:
    """At most one start every `interval` seconds, however many are running."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.next_start = 0.0

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        start = max(loop.time(), self.next_start)  # the next free start time ...
        self.next_start = start + self.interval  # ... is taken before any await
        await asyncio.sleep(start - loop.time())


async def job(n: int, rate: RateLimit) -> None:
    global running
    await rate.wait()
    running += 1
    print(f"job {n} starts ({running} running)")
    await asyncio.sleep(1.2)
    running -= 1
    print(f"job {n} done")


async def main() -> None:
    rate = RateLimit(0.3)
    async with asyncio.TaskGroup() as group:
        for n in [1, 2, 3, 4]:
            group.create_task(job(n, rate))


if __name__ == "__main__":
    asyncio.run(main())
