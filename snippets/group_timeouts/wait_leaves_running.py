import asyncio


async def job(name: str, seconds: float) -> None:
    await asyncio.sleep(seconds)
    print(f"{name}: done")


async def main() -> None:
    tasks = [asyncio.create_task(job(name, s)) for name, s in [("a", 0.2), ("b", 0.8)]]
    done, pending = await asyncio.wait(tasks, timeout=0.5)  # raises nothing, cancels nothing
    print(f"main: {len(done)} done, {len(pending)} still running")
    await asyncio.sleep(0.6)
    print("main: b ran on; cancel the pending yourself if you do not want that")


if __name__ == "__main__":
    asyncio.run(main())
