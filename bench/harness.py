"""Small helpers for writing benchmarks: a result row and a timer."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def result(name: str, value: float, unit: str, target: float | str | None = None) -> dict[str, Any]:
    """One output line. `target` is the figure the value should stay under (or a
    short text such as "<= 200"); None when there is no agreed target."""
    return {"name": name, "value": round(value, 3) if isinstance(value, float) else value, "unit": unit,
            "target": target}


def time_calls(fn: Callable[[], Any], *, repeat: int = 5, warmup: int = 1) -> list[float]:
    """Wall-clock seconds of `repeat` calls of `fn`, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def timed(name: str, fn: Callable[[], Any], *, target_ms: float | None = None, repeat: int = 5,
          warmup: int = 1, stat: str = "median") -> dict[str, Any]:
    """Time `fn` and report the median (or "max" / "p95") in milliseconds."""
    samples = sorted(time_calls(fn, repeat=repeat, warmup=warmup))
    if stat == "median":
        value = statistics.median(samples)
    elif stat == "max":
        value = samples[-1]
    elif stat == "p95":
        value = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    else:
        raise ValueError(f"unknown stat {stat!r}")
    return result(name, value * 1000, "ms", target_ms)
