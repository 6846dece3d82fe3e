import asyncio


async def main() -> None:
    loop = asyncio.get_running_loop()
    answer = loop.create_future()
    failure = loop.create_future()
    loop.call_later(0.5, answer.set_result, 42)  # a callback, run by the loop at 0.5 s
    loop.call_later(1.0, failure.set_exception, ConnectionResetError("peer left"))

    print("main: awaiting a pending future")
    value = await answer  # main's task is suspended until set_result() is called
    print(f"main: await handed back {value!r}")
    try:
        await failure
    except ConnectionResetError as error:
        print(f"main: await raised {error!r}")


if __name__ == "__main__":
    asyncio.run(main())
