"""One thread that runs store calls in the order they were made.

The stores are synchronous (pymongo, sqlite3): run on the reactor thread, a slow or failing store would stall
the whole crawl. Every call goes to this one thread instead, so blocking I/O never runs on the reactor and the
calls reach the store in the order they were made (a lookup sees every write queued before it).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable


class StoreThread:
    """An executor of exactly one worker thread, started and stopped with the store it serves."""

    def __init__(self, name: str):
        self.name = name
        self._executor: ThreadPoolExecutor | None = None

    @property
    def running(self) -> bool:
        return self._executor is not None

    def start(self) -> None:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"newscrawl-{self.name}")

    async def run(self, fn: Callable, *args) -> Any:
        """``fn(*args)`` on the thread, after every call submitted before it; its result or its exception."""
        if self._executor is None:
            raise RuntimeError(f"the {self.name} thread is not running")
        return await asyncio.wrap_future(self._executor.submit(fn, *args))

    def stop(self, wait: bool = True) -> None:
        """Stop taking calls; with ``wait`` return once the calls already submitted are done."""
        if self._executor is not None:
            executor, self._executor = self._executor, None
            executor.shutdown(wait=wait)
