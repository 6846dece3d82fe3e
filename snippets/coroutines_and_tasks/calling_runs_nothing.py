import asyncio


async def fetch(name: str) -> str:
    print(f"fetch({name!r}) started")
    await asyncio.sleep(1)
    return f"result of {name}"


async def main() -> None:
    coro = fetch("A")  # makes a coroutine object; no line of fetch runs
    print(f"got {coro!r}")
    print("nothing has run yet")
    result = await coro  # now fetch runs, inside main, until it returns
    print(result)


if __name__ == "__main__":
    asyncio.run(main())
