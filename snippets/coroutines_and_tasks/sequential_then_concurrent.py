import asyncio


async def fetch(name: str) -> str:
    await asyncio.sleep(1)  # stands in for a network call
    print(f"{name} finished")
    return name


async def main() -> None:
    print("one after another:")
    await fetch("A")  # main waits here until A is done ...
    await fetch("B")  # ... and only then starts B
    print("together:")
    await asyncio.gather(fetch("C"), fetch("D"))  # C and D wait at the same time


if __name__ == "__main__":
    asyncio.run(main())
