import asyncio


async def fetch(name: str, seconds: float) -> str:
    await asyncio.sleep(seconds)
    print(f"{name} finished")
    return name


async def main() -> None:
    a_task = asyncio.create_task(fetch("A", 1))
    b_task = asyncio.create_task(fetch("B", 1.5))
    asyncio.get_running_loop().call_later(0.5, a_task.cancel)  # someone cancels A at 0.5 s
    try:
        await asyncio.gather(a_task, b_task)
    except asyncio.CancelledError:
        print("gather raised CancelledError")
        print(f"main being cancelled? {asyncio.current_task().cancelling() > 0}")
    await b_task  # B was not cancelled: it keeps running
    print("main done")


if __name__ == "__main__":
    asyncio.run(main())
