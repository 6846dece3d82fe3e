import asyncio


async def send_report() -> None:
    await asyncio.sleep(0.2)
    raise ConnectionError("mail server refused")


async def main() -> None:
    tasks = [asyncio.create_task(send_report())]  # held, but never awaited
    await asyncio.sleep(0.6)
    print(f"main: returns; the task is done: {tasks[0].done()}")


if __name__ == "__main__":
    asyncio.run(main())
    print("after asyncio.run()")
