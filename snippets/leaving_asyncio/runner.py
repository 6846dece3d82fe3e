import asyncio

lock = asyncio.Lock()  # module-level, like a client object shared by every run


async def fetch(name: str) -> str:
    async with lock:  # the second fetch waits here, which binds the lock to this run's loop
        await asyncio.sleep(0.2)
        return name


async def main() -> list[str]:
    return await asyncio.gather(fetch("a"), fetch("b"))


if __name__ == "__main__":
    with asyncio.Runner() as runner:  # one event loop for several runs
        print(f"Runner, first run: {runner.run(main())}")
        print(f"Runner, second run: {runner.run(main())}")
    try:
        asyncio.run(main())  # a new event loop; the lock still belongs to the Runner's
    except RuntimeError as error:
        print(f"asyncio.run(): RuntimeError: ...{str(error).partition('>')[2]}")
