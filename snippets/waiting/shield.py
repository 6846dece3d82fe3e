import asyncio


async def save_order() -> str:
    await asyncio.sleep(2)
    print("order saved")
    return "order 42"


async def main() -> None:
    save_task = asyncio.create_task(save_order())
    try:
        async with asyncio.timeout(1):
            await asyncio.shield(save_task)
    except TimeoutError:
        print("stopped waiting; save still running:", not save_task.done())
    print("result:", await save_task)


if __name__ == "__main__":
    asyncio.run(main())
