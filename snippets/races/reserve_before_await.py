import asyncio


class Account:
    def __init__(self, balance: int) -> None:
        self.balance = balance


async def withdraw(account: Account, who: str, amount: int) -> None:
    # No await between the check and the update: no other task can run in between.
    if account.balance < amount:
        print(f"{who}: refused, balance {account.balance}")
        return
    account.balance -= amount  # reserve the money first ...
    print(f"{who}: reserved {amount}, balance now {account.balance}")
    try:
        await asyncio.sleep(0.5)  # ... then make the slow payment call
    except BaseException:
        account.balance += amount  # the payment failed or was cancelled: give it back
        raise
    print(f"{who}: paid")


async def main() -> None:
    account = Account(100)
    await asyncio.gather(withdraw(account, "alice", 80), withdraw(account, "bob", 80))
    print(f"final balance: {account.balance}")


if __name__ == "__main__":
    asyncio.run(main())
