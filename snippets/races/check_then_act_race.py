import asyncio


class Account:
    def __init__(self, balance: int) -> None:
        self.balance = balance


async def withdraw(account: Account, who: str, amount: int) -> None:
    if account.balance >= amount:  # check ...
        print(f"{who}: balance {account.balance} covers {amount}, paying out")
        await asyncio.sleep(0.5)  # ... the payment call lets the other task run ...
        account.balance -= amount  # ... act on a check that is now stale
        print(f"{who}: paid, balance now {account.balance}")
    else:
        print(f"{who}: refused, balance {account.balance}")


async def main() -> None:
    account = Account(100)
    await asyncio.gather(withdraw(account, "alice", 80), withdraw(account, "bob", 80))
    print(f"final balance: {account.balance}")


if __name__ == "__main__":
    asyncio.run(main())
