import asyncio
import threading
import time


def sensor(loop: asyncio.AbstractEventLoop, readings: asyncio.Queue[int | None]) -> None:
    # A blocking thread (a device driver, a callback library) feeding the event loop.
    for value in [17, 18, 21]:
        time.sleep(0.3)
        loop.call_soon_threadsafe(readings.put_nowait, value)  # never readings.put_nowait() directly
    loop.call_soon_threadsafe(readings.put_nowait, None)


async def main() -> None:
    readings: asyncio.Queue[int | None] = asyncio.Queue()
    threading.Thread(target=sensor, args=(asyncio.get_running_loop(), readings)).start()
    while (value := await readings.get()) is not None:
        print(f"loop: reading {value}")
    print("loop: sensor finished")


if __name__ == "__main__":
    asyncio.run(main())
