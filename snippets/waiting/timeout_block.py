import asyncio


async def step(name: str, delay: float) -> None:
    try:
        await asyncio.sleep(delay)
        print(f"{name} finished")
    except asyncio.CancelledError:
        print(f"{name} cancelled")
        raise  # let the cancellation go on: the timeout relies on it


async def main() -> None:
    try:
        async with asyncio.timeout(1):  # one deadline for the whole block
            await step("step 1", 0.6)
            await step("step 2", 0.6)
    except TimeoutError:
        print("timed out")


if __name__ == "__main__":
    asyncio.run(main())
