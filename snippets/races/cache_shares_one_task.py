import asyncio

cache: dict[str, asyncio.Task[str]] = {}


async def fetch_from_server(key: str) -> str:
    print(f"fetching {key} from the server")
    await asyncio.sleep(1)
    return f"value of {key}"


async def get(key: str) -> str:
    # Check and store with no await in between: the first caller creates the task,
    # every later caller finds it in the cache and awaits the same task.
    if key not in cache:
        cache[key] = asyncio.create_task(fetch_from_server(key))
    return await cache[key]


async def main() -> None:
    values = await asyncio.gather(get("user:1"), get("user:1"), get("user:1"))
    print(values)


if __name__ == "__main__":
    asyncio.run(main())
