import asyncio


async def download(name: str) -> str:
    await asyncio.sleep(1)
    return f"{name} downloaded"


async def main() -> None:
    # Coroutine functions say what they do; task variables say what they hold.
    report_task = asyncio.create_task(download("report"))
    logo_task = asyncio.create_task(download("logo"))
    print(await report_task)
    print(await logo_task)


if __name__ == "__main__":
    asyncio.run(main())
