import asyncio
import time
from concurrent.futures import ThreadPoolExecutor


def resize_image(name: str, seconds: float) -> str:
    time.sleep(seconds)  # blocking work, run in one of the pool's threads
    print(f"{name} resized")
    return name


async def main() -> None:
    loop = asyncio.get_running_loop()
    # Two threads for three jobs: the third job waits for a free thread.
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = await asyncio.gather(
            loop.run_in_executor(pool, resize_image, "a.png", 0.4),
            loop.run_in_executor(pool, resize_image, "b.png", 1.2),
            loop.run_in_executor(pool, resize_image, "c.png", 0.4),
        )
    print(results)


if __name__ == "__main__":
    asyncio.run(main())
