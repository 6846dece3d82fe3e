import asyncio
import time
from concurrent.futures import ProcessPoolExecutor


def crunch(n: int) -> int:
    # Runs in a worker process: its own interpreter, its own GIL.
    time.sleep(1)  # stands in for a second of pure-Python CPU work
    return sum(i * i for i in range(n))


async def heartbeat() -> None:
    for beat in range(1, 4):
        await asyncio.sleep(0.3)
        print(f"event loop still responsive ({beat})")


async def main() -> None:
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=2) as pool:
        beating = asyncio.create_task(heartbeat())
        totals = await asyncio.gather(
            loop.run_in_executor(pool, crunch, 10),
            loop.run_in_executor(pool, crunch, 100),
        )
        await beating
    print(f"totals: {totals}")


# The guard is required: worker processes started with "spawn" or "forkserver"
# import this module, and must not run main() again.
if __name__ == "__main__":
    asyncio.run(main())
