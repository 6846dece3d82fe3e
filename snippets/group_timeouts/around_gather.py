import asyncio


async def job(name: str, seconds: float) -> str:
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        print(f"{name}: cancelled")
        raise
    print(f"{name}: done")
    return name


async def main() -> None:
    tasks = [asyncio.create_task(job(name, s)) for name, s in [("a", 0.5), ("b", 1.5), ("c", 2.5)]]
    try:
        async with asyncio.timeout(1.0):
            results = await asyncio.gather(*tasks)
            print(results)
    except TimeoutError:
        print("main: TimeoutError; the partial results are lost with gather()")
    print([task.result() if not task.cancelled() else "cancelled" for task in tasks])


if __name__ == "__main__":
    asyncio.run(main())
