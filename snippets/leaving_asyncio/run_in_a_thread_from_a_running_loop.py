import asyncio


async def fetch_config() -> str:
    await asyncio.sleep(0.5)
    return "config"


def load_config() -> str:
    # A synchronous library function that calls asyncio.run() inside.
    return asyncio.run(fetch_config())


async def main() -> None:
    # As in a Jupyter cell: a loop is already running here, so load_config() would raise.
    # In a worker thread there is no running loop: asyncio.run() starts a new one there.
    config = await asyncio.to_thread(load_config)
    print(f"got {config!r} from a loop in a worker thread")


if __name__ == "__main__":
    asyncio.run(main())
