"""Code shared by the SDK, the server and the worker: ids, errors, output statuses, schedules, durations,
mounts, listen addresses, asyncio helpers. It imports nothing of leveret outside itself."""
