import asyncio


async def count(name: str, yield_control: bool) -> None:
    for step in range(1, 4):
        print(f"{name} step {step}")
        if yield_control:
            await asyncio.sleep(0)  # suspend: every other ready task runs once


async def main() -> None:
    print("without sleep(0):")
    await asyncio.gather(count("A", False), count("B", False))
    print("with sleep(0):")
    await asyncio.gather(count("A", True), count("B", True))


if __name__ == "__main__":
    asyncio.run(main())
