import asyncio

jobs: list[str] = []
checks = {"A": 0, "B": 0, "C": 0}


async def consumer(name: str, changed: asyncio.Condition) -> None:
    def has_job() -> bool:
        checks[name] += 1
        return bool(jobs)

    async with changed:  # wait_for() needs the condition's lock held
        await changed.wait_for(has_job)  # wait() until has_job() is true
        job = jobs.pop(0)
    print(f"{name} took {job}")


async def main() -> None:
    changed = asyncio.Condition()
    async with asyncio.TaskGroup() as group:
        for name in checks:
            group.create_task(consumer(name, changed))
        for job, wake in [("job 1", "notify(1)"), ("job 2", "notify_all()"), ("job 3", "notify(1)")]:
            await asyncio.sleep(0.3)
            async with changed:
                jobs.append(job)
                changed.notify(1) if wake == "notify(1)" else changed.notify_all()
            print(f"main: added {job}, {wake}")
    print(f"times each consumer checked: {checks}")


if __name__ == "__main__":
    asyncio.run(main())
