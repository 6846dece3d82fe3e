import asyncio

cache: dict[str, asyncio.Task[str]] = {}


async def fetch_from_server(key: str) -> str:
    await asyncio.sleep(1)
    return f"value of {key}"


async def get(key: str, shielded: bool) -> str:
    if key not in cache:
        cache[key] = asyncio.create_task(fetch_from_server(key))
    if shielded:
        return await asyncio.shield(cache[key])  # a cancel stops only this caller's wait
    return await cache[key]  # a cancel here cancels the shared task itself


async def two_callers(shielded: bool) -> None:
    cache.clear()
    impatient = asyncio.create_task(get("user:1", shielded))
    patient = asyncio.create_task(get("user:1", shielded))
    await asyncio.sleep(0.5)
    impatient.cancel()  # only the first caller gives up
    results = await asyncio.gather(impatient, patient, return_exceptions=True)
    print(f"shielded={shielded}: impatient got {results[0]!r}, patient got {results[1]!r}")


async def main() -> None:
    await two_callers(shielded=False)
    await two_callers(shielded=True)


if __name__ == "__main__":
    asyncio.run(main())
