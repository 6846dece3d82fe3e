import asyncio


async def fetch(name: str, seconds: float) -> str:
    await asyncio.sleep(seconds)
    print(f"{name} finished")
    return name


async def broken(seconds: float) -> str:
    await asyncio.sleep(seconds)
    raise ValueError("bad response")


async def main() -> None:
    results = await asyncio.gather(fetch("A", 1), broken(0.5), fetch("B", 1.5), return_exceptions=True)
    for result in results:  # the exception sits in place of its result
        if isinstance(result, Exception):
            print(f"failed: {result!r}")
        else:
            print(f"ok: {result}")


if __name__ == "__main__":
    asyncio.run(main())
