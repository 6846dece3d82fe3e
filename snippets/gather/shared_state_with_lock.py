import asyncio


class Account:
    def __init__(self) -> None:
        self.balance = 0
        self.lock = asyncio.Lock()


async def deposit(account: Account, times: int) -> None:
    for _ in range(times):
        async with account.lock:  # one task at a time between read and write
            balance = account.balance
            await asyncio.sleep(0)
            account.balance = balance + 1


async def main() -> None:
    account = Account()
    await asyncio.gather(deposit(account, 1000), deposit(account, 1000))
    print(f"expected 2000, got {account.balance}")


if __name__ == "__main__":
    asyncio.run(main())
