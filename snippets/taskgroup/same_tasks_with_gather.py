import asyncio


async def fetch(name: str, seconds: float) -> str:
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        print(f"{name} cancelled")
        raise
    print(f"{name} finished")
    return name


async def broken(seconds: float) -> str:
    await asyncio.sleep(seconds)
    raise ValueError("bad response")


async def main() -> None:
    try:
        await asyncio.gather(fetch("A", 0.5), broken(1), fetch("B", 2))
    except ValueError as exc:
        print(f"{type(exc).__name__}: {exc}")
    await asyncio.sleep(1.5)  # stay alive to see what B does


if __name__ == "__main__":
    asyncio.run(main())
