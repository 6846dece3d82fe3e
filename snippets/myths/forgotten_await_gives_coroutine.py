import asyncio


async def fetch_user(user_id: int) -> str:
    await asyncio.sleep(0.5)
    return f"user {user_id}"


async def greet(user_id: int) -> None:
    user = fetch_user(user_id)  # forgot the await: user is a coroutine object
    print(f"hello, {user}")
    await asyncio.sleep(0.5)  # more work; the coroutine object is still referenced
    print("greet returns, dropping the coroutine object")


async def main() -> None:
    await greet(1)  # Python warns only when the forgotten coroutine is freed
    print("main done")


if __name__ == "__main__":
    asyncio.run(main())
