import asyncio


async def fetch_config() -> str:
    await asyncio.sleep(0.5)
    return "config"


def load_config() -> str:
    # A synchronous helper written for scripts; it starts its own event loop.
    return asyncio.run(fetch_config())


async def main() -> None:
    try:
        load_config()  # called from a coroutine: a loop is already running here
    except RuntimeError as exc:
        print(f"RuntimeError: {exc}")
    config = await fetch_config()  # inside async code, await instead
    print(f"got {config!r}")


if __name__ == "__main__":
    asyncio.run(main())
