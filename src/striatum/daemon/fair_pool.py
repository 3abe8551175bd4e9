"""Worker threads that serve their callers in turn rather than in arrival order.

Each task is queued under a key (the daemon uses the request's token). Workers take the
oldest task of the next key in a round robin, so a caller with five hundred requests queued
gets one worker turn for every turn of each other caller: nobody waits behind someone else's
flood, only behind their own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

Task = tuple[Callable[[], Any], "Future[Any]"]


class FairPool:
    def __init__(self, workers: int, *, name: str) -> None:
        self._queues: OrderedDict[str, deque[Task]] = OrderedDict()  # keys with work, in turn
        self._ready = threading.Condition()
        self._closing = False
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{n}", daemon=True)
            for n in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, key: str, work: Callable[[], Any]) -> Future[Any]:
        future: Future[Any] = Future()
        with self._ready:
            if self._closing:
                raise RuntimeError("the pool is shut down")
            self._queues.setdefault(key, deque()).append((work, future))
            self._ready.notify()
        return future

    def queued(self) -> int:
        with self._ready:
            return sum(len(queue) for queue in self._queues.values())

    def shutdown(self) -> None:
        """Finish what is queued, then stop the workers."""
        with self._ready:
            self._closing = True
            self._ready.notify_all()
        for thread in self._threads:
            thread.join()

    def _next(self) -> Task | None:
        with self._ready:
            while not self._queues:
                if self._closing:
                    return None
                self._ready.wait()
            key, queue = self._queues.popitem(last=False)  # the key whose turn it is
            task = queue.popleft()
            if queue:
                self._queues[key] = queue  # back of the line
            return task

    def _work(self) -> None:
        while (task := self._next()) is not None:
            work, future = task
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(work())
            except BaseException as error:  # handed to whoever awaits the future
                future.set_exception(error)
