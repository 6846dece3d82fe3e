import asyncio


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    # The "remote service": reads a name, waits as long as the name says, answers.
    name = (await reader.readline()).decode().strip()
    await asyncio.sleep(float(name.split("-")[1]))
    writer.write(f"hello {name}\n".encode())
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def fetch(server: asyncio.Server, name: str) -> str:
    host, port = server.sockets[0].getsockname()
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"{name}\n".encode())
    await writer.drain()
    answer = (await reader.readline()).decode().strip()
    writer.close()
    await writer.wait_closed()
    print(f"got {answer!r}")
    return answer


async def main() -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", 0)  # port 0: any free port
    async with server:
        answers = await asyncio.gather(fetch(server, "a-0.6"), fetch(server, "b-0.3"), fetch(server, "c-0.9"))
        print(answers)


if __name__ == "__main__":
    asyncio.run(main())
