import asyncio


async def fetch(name: str, seconds: float) -> str:
    await asyncio.sleep(seconds)  # stands in for a network call
    print(f"{name} finished")
    return f"result of {name}"


async def main() -> None:
    results = await asyncio.gather(fetch("A", 1), fetch("B", 2))
    print(results)


if __name__ == "__main__":
    asyncio.run(main())
