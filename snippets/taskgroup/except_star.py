import asyncio


async def fetch(url: str) -> str:
    if not url.startswith("https://"):
        raise ValueError(f"not https: {url}")  # fails before its first await
    if url.endswith("/private"):
        raise PermissionError(f"no access: {url}")
    await asyncio.sleep(1)
    print(f"fetched {url}")
    return url


async def main() -> None:
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(fetch("http://a.example"))
            group.create_task(fetch("https://b.example/private"))
            group.create_task(fetch("https://c.example"))
    except* ValueError as errors:  # the ValueErrors from the group, in a group
        for error in errors.exceptions:
            print(f"bad input: {error}")
    except* PermissionError as errors:  # the PermissionErrors, in another group
        for error in errors.exceptions:
            print(f"denied: {error}")
    print("main carries on")


if __name__ == "__main__":
    asyncio.run(main())
