import asyncio
import threading


async def lookup(key: str) -> str:
    await asyncio.sleep(0.9)
    return f"value of {key}"


def legacy_thread(loop: asyncio.AbstractEventLoop) -> None:
    # Plain blocking code in another thread: submit a coroutine to the loop and wait for it.
    future = asyncio.run_coroutine_threadsafe(lookup("colour"), loop)
    print(f"thread: got {future.result(timeout=2)!r}")  # blocks this thread only


async def main() -> None:
    thread = threading.Thread(target=legacy_thread, args=(asyncio.get_running_loop(),))
    thread.start()
    for _ in range(2):
        await asyncio.sleep(0.6)
        print("loop: still serving other tasks")
    await asyncio.to_thread(thread.join)  # join() blocks: wait for it in a worker thread


if __name__ == "__main__":
    asyncio.run(main())
