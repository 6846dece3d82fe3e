import asyncio
import os
import signal


async def serve(stop: asyncio.Event) -> None:
    while not stop.is_set():
        print("serving a request")
        await asyncio.sleep(0.5)  # a request takes 0.5 s
    print("serve: finished the last request, exiting")


async def main() -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)  # Unix only
    loop.call_later(0.75, os.kill, os.getpid(), signal.SIGTERM)  # mid-request, as a service manager might
    await serve(stop)


if __name__ == "__main__":
    asyncio.run(main())
    print("clean exit")
