import asyncio


async def fetch(name: str, seconds: float) -> str:
    await asyncio.sleep(seconds)  # stands in for a network call
    print(f"{name} finished")
    return f"result of {name}"


async def main() -> None:
    a = await fetch("A", 1)  # main waits here for 1 s ...
    b = await fetch("B", 2)  # ... and only then starts B: 1 s + 2 s
    print([a, b])


if __name__ == "__main__":
    asyncio.run(main())
