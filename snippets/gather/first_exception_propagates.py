import asyncio


async def fetch(name: str, seconds: float) -> str:
    await asyncio.sleep(seconds)
    print(f"{name} finished")
    return name


async def broken(seconds: float) -> str:
    await asyncio.sleep(seconds)
    raise ValueError("bad response")


async def main() -> None:
    try:
        await asyncio.gather(fetch("A", 1), broken(0.5), fetch("B", 1.5))
    except ValueError as exc:
        print(f"gather raised {type(exc).__name__}: {exc}")
    await asyncio.sleep(1.5)  # main lives on; watch the other children
    print("main done")


if __name__ == "__main__":
    asyncio.run(main())
