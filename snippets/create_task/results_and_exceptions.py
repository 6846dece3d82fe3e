import asyncio


async def fetch(name: str) -> str:
    await asyncio.sleep(0.5)
    return f"result of {name}"


async def broken() -> str:
    await asyncio.sleep(1)
    raise ValueError("bad response")


async def main() -> None:
    good_task = asyncio.create_task(fetch("A"))
    bad_task = asyncio.create_task(broken())
    try:
        good_task.result()  # not done yet: there is no result to give
    except asyncio.InvalidStateError as exc:
        print(f"too early: {type(exc).__name__}: {exc}")
    await asyncio.sleep(1.5)  # both are done by now
    print(f"done? {good_task.done()} {bad_task.done()}")
    print(f"good_task.result() = {good_task.result()!r}")
    print(f"good_task.exception() = {good_task.exception()!r}")
    print(f"bad_task.exception() = {bad_task.exception()!r}")
    try:
        await bad_task  # awaiting (or .result()) raises the task's exception
    except ValueError as exc:
        print(f"await bad_task raised {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    asyncio.run(main())
