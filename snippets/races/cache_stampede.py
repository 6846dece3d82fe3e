import asyncio

cache: dict[str, str] = {}


async def fetch_from_server(key: str) -> str:
    print(f"fetching {key} from the server")
    await asyncio.sleep(1)
    return f"value of {key}"


async def get(key: str) -> str:
    if key not in cache:  # every task checks before any of them has stored a value
        cache[key] = await fetch_from_server(key)
    return cache[key]


async def main() -> None:
    values = await asyncio.gather(get("user:1"), get("user:1"), get("user:1"))
    print(values)


if __name__ == "__main__":
    asyncio.run(main())
