import asyncio


async def save(record: str) -> None:
    print(f"saving {record}")  # never printed
    await asyncio.sleep(0.5)


async def main() -> None:
    save("order 17")  # forgot the await: a coroutine object is made and dropped
    print("main carries on")
    await asyncio.sleep(0.5)
    print("main done; the record was never saved")


if __name__ == "__main__":
    asyncio.run(main())
