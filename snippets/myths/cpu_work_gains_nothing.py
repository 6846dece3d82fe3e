import asyncio
import time


async def compute(name: str) -> str:
    time.sleep(0.5)  # noqa: ASYNC251 - stands in for half a second of CPU work: no await inside
    print(f"{name} computed")
    return name


async def main() -> None:
    # Three "concurrent" CPU-bound coroutines still run one after another: 3 x 0.5 s.
    await asyncio.gather(compute("A"), compute("B"), compute("C"))
    print("all computed")


if __name__ == "__main__":
    asyncio.run(main())
