"""Process-wide settings the bot runs with, set once at start by `run` and `demo`."""

from __future__ import annotations

import gc

# Python's default first threshold is 700: a collection every 700 net allocations.
GC_THRESHOLDS = (50_000, 20, 20)


def tune_gc() -> None:
    """Let the garbage collector run less often during bursts of work.

    A burst of asks makes tens of thousands of short-lived objects (tasks, futures, requests,
    rows). At the default pace the collector runs hundreds of times inside one burst and
    rescans everything that is still waiting; at 50,000 it runs a few times. It still runs, so
    memory stays bounded. Measured on a burst of 5,000 asks: about a quarter more throughput.
    """
    gc.set_threshold(*GC_THRESHOLDS)
