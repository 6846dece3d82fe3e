import asyncio


async def fetch(name: str, seconds: float) -> str:
    await asyncio.sleep(seconds)
    print(f"{name} finished")
    return name


async def main() -> None:
    results = await asyncio.gather(fetch("slow", 2), fetch("medium", 1), fetch("fast", 0.5))
    print(results)  # the order of the arguments, not the order they finished in


if __name__ == "__main__":
    asyncio.run(main())
