import asyncio


async def fetch_report() -> str:
    await asyncio.sleep(2)  # stands in for a slow request
    print("report ready")
    return "report"


async def main() -> None:
    report_task = asyncio.create_task(fetch_report())
    for step in (1, 2, 3):
        await asyncio.sleep(0.5)  # other work while the report is on its way
        print(f"other work, step {step}")
    report = await report_task  # wait only for what is left: 0.5 s more
    print(f"got {report!r}")


if __name__ == "__main__":
    asyncio.run(main())
