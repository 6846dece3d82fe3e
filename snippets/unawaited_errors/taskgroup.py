import asyncio


async def send_report() -> None:
    await asyncio.sleep(0.2)
    raise ConnectionError("mail server refused")


async def other_work() -> None:
    try:
        await asyncio.sleep(1)
    except asyncio.CancelledError:
        print("other_work: cancelled")
        raise


async def main() -> None:
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(send_report())
            group.create_task(other_work())
    except* ConnectionError as errors:
        print(f"main: caught {errors.exceptions!r}")


if __name__ == "__main__":
    asyncio.run(main())
