import asyncio


async def fetch(name: str, seconds: float) -> str:
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        print(f"{name} cancelled")
        raise  # let the cancellation finish
    print(f"{name} finished")
    return name


async def main() -> None:
    gathering = asyncio.gather(fetch("A", 0.5), fetch("B", 1.5), fetch("C", 2))
    await asyncio.sleep(1)
    gathering.cancel()  # cancels every child that is not done yet
    try:
        await gathering
    except asyncio.CancelledError:
        print("the gather was cancelled")


if __name__ == "__main__":
    asyncio.run(main())
