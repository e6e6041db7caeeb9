"""Map a function over content files, in worker processes when there are enough of them."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor

# Below this many files, starting workers costs more than it saves.
PARALLEL_THRESHOLD = 200


def default_workers() -> int:
    """Return one worker per core, at most four."""
    return min(os.cpu_count() or 1, 4)


def run(
    func: Callable,
    items: list,
    init: Callable,
    init_args: tuple,
    workers: int | None = None,
    threshold: int | None = None,
) -> Iterator:
    """Yield func(item) for each item, in order; `init(*init_args)` prepares each process."""
    workers = workers or default_workers()
    threshold = PARALLEL_THRESHOLD if threshold is None else threshold
    if workers > 1 and len(items) >= threshold:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        with ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context(method),
            initializer=init,
            initargs=init_args,
        ) as pool:
            yield from pool.map(func, items, chunksize=max(8, len(items) // (workers * 8)))
    else:
        init(*init_args)
        yield from map(func, items)
