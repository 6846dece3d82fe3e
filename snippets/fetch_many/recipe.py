import asyncio

# The remote service, on loopback: how long each item takes, and how often it fails first.
SECONDS = {"a": 0.9, "b": 1.2, "c": 0.6, "d": 1.2, "e": 0.6, "f": 9.0}
FAILURES = {"c": 2, "e": 99}  # c fails twice, then works; e always fails
LIMIT, ATTEMPTS, DEADLINE = 3, 3, 3.6


class FetchError(Exception):
    pass


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    item = (await reader.readline()).decode().strip()
    try:  # take SECONDS[item] to answer, unless the client hangs up first (read() returns)
        await asyncio.wait_for(reader.read(), SECONDS[item])
    except TimeoutError:
        if FAILURES.get(item, 0) > 0:
            FAILURES[item] -= 1
            writer.write(b"ERROR busy\n")
        else:
            writer.write(f"OK data for {item}\n".encode())
    writer.close()


async def fetch(port: int, item: str) -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"{item}\n".encode())
        status, _, body = (await reader.readline()).decode().strip().partition(" ")
    finally:
        writer.close()
    if status != "OK":
        raise FetchError(body)
    return body


async def fetch_with_retries(port: int, item: str, limit: asyncio.Semaphore) -> str:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            async with limit:  # hold a slot only while a request is in flight
                return await fetch(port, item)
        except FetchError as error:
            if attempt == ATTEMPTS:
                raise
            backoff = 0.15 * 2 ** (attempt - 1)  # 0.15 s, then 0.3 s
            print(f"{item}: attempt {attempt} failed ({error}), retry in {backoff} s")
            await asyncio.sleep(backoff)
    raise AssertionError("unreachable")


async def main() -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    limit = asyncio.Semaphore(LIMIT)
    results: dict[str, str] = {}

    async def one(item: str) -> None:
        try:
            results[item] = await fetch_with_retries(port, item, limit)
        except FetchError as error:
            results[item] = f"failed: {error}"
        print(f"[{len(results)}/{len(SECONDS)}] {item}: {results[item]}")

    async with server:
        try:
            async with asyncio.timeout(DEADLINE):  # one deadline for the whole group
                async with asyncio.TaskGroup() as group:
                    for item in SECONDS:
                        group.create_task(one(item))
        except TimeoutError:
            print(f"deadline: gave up on {sorted(SECONDS.keys() - results.keys())}")
    print(results)


if __name__ == "__main__":
    asyncio.run(main())
