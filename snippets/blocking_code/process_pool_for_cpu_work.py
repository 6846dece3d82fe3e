import asyncio
import ctypes
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor

# Calls through ctypes.PyDLL keep the GIL (the interpreter lock) while they run (POSIX only).
libc = ctypes.PyDLL(None)


def crunch() -> None:
    # Stands in for 0.25 s of pure-Python CPU work: it holds the GIL for 0.25 s, as that
    # work would, but uses no CPU, so its times are exact even on a busy machine.
    libc.usleep(250_000)


async def two_calls(pool: Executor) -> None:
    loop = asyncio.get_running_loop()
    await asyncio.gather(loop.run_in_executor(pool, crunch), loop.run_in_executor(pool, crunch))


async def main() -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        await two_calls(pool)
    print("two calls in two threads: done")
    with ProcessPoolExecutor(max_workers=2) as pool:
        await two_calls(pool)
    print("two calls in two processes: done")


# The guard is required: worker processes started with "spawn" or "forkserver"
# import this module, and must not run main() again.
if __name__ == "__main__":
    asyncio.run(main())
