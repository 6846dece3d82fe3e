import asyncio


async def flush_metrics() -> None:
    try:
        while True:
            await asyncio.sleep(0.6)
            print("metrics flushed")
    finally:
        print("flush_metrics: cancelled by asyncio.run()")


async def main() -> None:
    asyncio.create_task(flush_metrics())  # a background task main never stops  # noqa: RUF006
    await asyncio.sleep(1.5)
    print("main: returns")


if __name__ == "__main__":
    asyncio.run(main())
    print("asyncio.run() returned")
