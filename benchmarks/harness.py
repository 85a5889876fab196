"""The benchmark harness: ours and the reference on the same data, in one process.

A :class:`Case` names a workload; its ``ours`` and ``reference`` callables each run
the whole timed step (fit + predict, one epoch, ...) on the data ``setup`` made and
return a quality figure.  :func:`measure` runs them in alternation (the order flips
every repeat, after one untimed warm-up of each, so that compilation caches and the
machine's state favour neither), takes the median time of each and reports the ratio
ours / reference.  Timings are reported, never asserted.

Cases live in ``benchmarks/cases_<family>.py`` and call :func:`case` at import time.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["Case", "case", "CASES", "measure", "Measurement"]


@dataclass
class Case:
    name: str
    group: str
    setup: Callable[[bool], Any]
    ours: Callable[[Any], float]
    reference: Callable[[Any], float]
    reference_name: str
    quality_name: str
    target: float | None = None
    repeats: int = 5
    quality_higher_is_better: bool = True


@dataclass
class Measurement:
    name: str
    group: str
    reference_name: str
    ours_seconds: float
    reference_seconds: float
    ratio: float
    target: float | None
    meets_target: bool | None
    quality_name: str
    ours_quality: float
    reference_quality: float
    repeats: int
    times_ours: list = field(default_factory=list)
    times_reference: list = field(default_factory=list)


CASES: list[Case] = []


def case(**kwargs: Any) -> Case:
    """Register a benchmark case (see :class:`Case` for the fields)."""
    c = Case(**kwargs)
    CASES.append(c)
    return c


def _timed(fn: Callable[[Any], float], data: Any) -> tuple[float, float]:
    start = time.perf_counter()
    quality = fn(data)
    return time.perf_counter() - start, float(quality)


def measure(c: Case, quick: bool = False, repeats: int | None = None) -> Measurement:
    """Run one case: a warm-up of each, then ``repeats`` alternating timed runs."""
    data = c.setup(quick)
    repeats = repeats or (max(2, c.repeats // 2) if quick else c.repeats)
    _timed(c.ours, data)
    _timed(c.reference, data)
    times_ours, times_ref = [], []
    q_ours = q_ref = float("nan")
    for r in range(repeats):
        order = [("ours", c.ours), ("ref", c.reference)]
        if r % 2:
            order.reverse()
        for who, fn in order:
            seconds, quality = _timed(fn, data)
            if who == "ours":
                times_ours.append(seconds)
                q_ours = quality
            else:
                times_ref.append(seconds)
                q_ref = quality
    ours_s, ref_s = statistics.median(times_ours), statistics.median(times_ref)
    ratio = ours_s / ref_s if ref_s > 0 else float("inf")
    return Measurement(
        name=c.name, group=c.group, reference_name=c.reference_name,
        ours_seconds=ours_s, reference_seconds=ref_s, ratio=ratio, target=c.target,
        meets_target=None if c.target is None else ratio <= c.target,
        quality_name=c.quality_name, ours_quality=q_ours, reference_quality=q_ref,
        repeats=repeats, times_ours=times_ours, times_reference=times_ref,
    )
