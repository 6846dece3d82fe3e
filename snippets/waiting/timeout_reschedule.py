import asyncio


async def receive_chunk(number: int, delay: float) -> None:
    await asyncio.sleep(delay)
    print(f"chunk {number} received")


async def main() -> None:
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(1) as deadline:
            for number, delay in enumerate([0.4, 0.4, 0.4, 1.5]):
                await receive_chunk(number, delay)
                deadline.reschedule(loop.time() + 1)  # each chunk buys 1 s more
    except TimeoutError:
        print("timed out: no chunk for 1 s")


if __name__ == "__main__":
    asyncio.run(main())
