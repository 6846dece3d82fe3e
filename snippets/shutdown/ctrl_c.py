import asyncio
import os
import signal


async def main() -> None:
    loop = asyncio.get_running_loop()
    loop.call_later(0.5, os.kill, os.getpid(), signal.SIGINT)  # as if Ctrl-C were pressed at 0.5 s
    try:
        await asyncio.sleep(5)
    except asyncio.CancelledError:
        print("main: cancelled by Ctrl-C; cleaning up")
        await asyncio.sleep(0.2)  # cleanup may still await
        raise  # let asyncio.run() turn it back into KeyboardInterrupt


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        print("KeyboardInterrupt raised by asyncio.run()")
