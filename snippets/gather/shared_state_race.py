import asyncio


class Account:
    def __init__(self) -> None:
        self.balance = 0


async def deposit(account: Account, times: int) -> None:
    for _ in range(times):
        balance = account.balance  # read ...
        await asyncio.sleep(0)  # ... let other tasks run (any await can) ...
        account.balance = balance + 1  # ... and write back a stale value


async def main() -> None:
    account = Account()
    await asyncio.gather(deposit(account, 1000), deposit(account, 1000))
    print(f"expected 2000, got {account.balance}")


if __name__ == "__main__":
    asyncio.run(main())
