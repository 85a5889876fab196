"""mlatlas._parallel: thread counts, BLAS limits, the shared work queue and the warm-up."""

import threading
import time

import numpy as np
import pytest

from mlatlas import _parallel
from mlatlas._parallel import available_cpus, blas_threads, limit_blas, parallel_map, split_rows, warm_up


@pytest.mark.parametrize("value, expected", [("1", 1), ("1,3", 1), (" 1 ", 1), ("", None), ("abc", None),
                                             ("0", None), ("-2", None), ("100000", None)])
def test_available_cpus_follows_affinity_and_omp_num_threads(monkeypatch, value, expected):
    monkeypatch.setattr(_parallel.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.setenv("OMP_NUM_THREADS", value)
    assert available_cpus() == (4 if expected is None else expected)


def test_limit_blas_sets_and_restores_the_thread_count():
    with limit_blas(2):
        assert blas_threads() == 2
        with limit_blas(1):
            assert blas_threads() == 1
        assert blas_threads() == 2
        with pytest.raises(RuntimeError, match="inside"):
            with limit_blas(1):
                raise RuntimeError("inside")
        assert blas_threads() == 2
        with limit_blas(1, when=False):
            assert blas_threads() == 2


@pytest.mark.parametrize("bad", [0, -1, 1.5, "1", True, None])
def test_limit_blas_names_a_bad_thread_count(bad):
    with pytest.raises(ValueError, match=r"n_threads must be an int >= 1; got"):
        limit_blas(bad)


@pytest.mark.parametrize("n_rows, parts", [(0, 3), (1, 1), (5, 5), (7, 3), (10, 4), (3, 8), (1000, 7)])
def test_split_rows_covers_the_rows_in_near_equal_contiguous_ranges(n_rows, parts):
    ranges = split_rows(n_rows, parts)
    assert len(ranges) == min(n_rows, parts)
    covered = [i for start, stop in ranges for i in range(start, stop)]
    assert covered == list(range(n_rows))
    sizes = [stop - start for start, stop in ranges]
    assert all(size >= 1 for size in sizes)
    assert not sizes or max(sizes) - min(sizes) <= 1
    with pytest.raises(ValueError, match="parts must be >= 1"):
        split_rows(n_rows, 0)


@pytest.mark.parametrize("n_threads", [1, 2, 3, None])
def test_parallel_map_keeps_item_order_with_uneven_items(n_threads):
    def work(item):
        time.sleep(0.002 * (item % 5 == 0))  # uneven item times
        return item * 10

    assert parallel_map(work, range(40), n_threads=n_threads) == [10 * i for i in range(40)]
    assert parallel_map(work, [], n_threads=n_threads) == []


def test_parallel_map_runs_items_at_the_same_time_with_blas_on_one_thread():
    # two items wait for each other: this only finishes if two threads run them together
    barrier = threading.Barrier(2, timeout=10)
    seen = []

    def work(item):
        barrier.wait()
        seen.append((threading.get_ident(), blas_threads()))
        return item

    with limit_blas(2):
        assert parallel_map(work, [0, 1], n_threads=2) == [0, 1]
        assert blas_threads() == 2  # restored after the call
    assert len({ident for ident, _ in seen}) == 2
    assert [threads for _, threads in seen] == [1, 1]


def test_parallel_map_on_one_thread_leaves_blas_alone():
    with limit_blas(2):
        assert parallel_map(lambda item: blas_threads(), range(3), n_threads=1) == [2, 2, 2]


@pytest.mark.parametrize("n_threads", [1, 2, 3])
def test_parallel_map_reraises_after_every_thread_stopped(n_threads):
    started, finished = set(), set()
    lock = threading.Lock()

    def work(item):
        with lock:
            started.add(item)
        time.sleep(0.001)
        if item == 9:
            raise KeyError("item 9 failed")
        with lock:
            finished.add(item)
        return item

    with pytest.raises(KeyError, match="item 9 failed"):
        parallel_map(work, range(60), n_threads=n_threads)
    # every item that started has finished (or failed): no thread is left running
    assert started - finished == {9}
    # and the items not yet taken when 9 failed were never run
    assert max(started) < 59


def test_parallel_map_raises_the_first_failed_item_in_item_order():
    barrier = threading.Barrier(2, timeout=10)

    def work(item):
        barrier.wait()  # items 0 and 1 run together, and both fail
        if item == 1:
            raise ValueError("item 1")
        time.sleep(0.05)  # item 0 fails last...
        raise ValueError("item 0")

    with pytest.raises(ValueError, match="item 0"):  # ...but comes first in the items
        parallel_map(work, [0, 1], n_threads=2)


def test_nested_parallel_map_runs_inline():
    inner_threads = []

    def inner(item):
        inner_threads.append(threading.get_ident())
        return item

    def outer(item):
        before = len(inner_threads)
        out = parallel_map(inner, range(4), n_threads=4)
        # the nested call ran on this thread only
        assert set(inner_threads[before:]) == {threading.get_ident()}
        return sum(out) + item

    assert parallel_map(outer, range(6), n_threads=3) == [6 + i for i in range(6)]


class _Spy:
    """A model that records what it was fitted on and can be told to fail."""

    calls: list = []

    def __init__(self, fail=False):
        self.fail = fail

    def fit(self, X, y=None):
        _Spy.calls.append(("fit", X.shape, None if y is None else sorted(set(y.tolist()))))
        if self.fail:
            raise ValueError("too few rows")
        return self

    def transform(self, X):
        _Spy.calls.append(("transform", X.shape, None))
        return X


def test_warm_up_fits_on_a_few_rows_holding_every_class():
    _Spy.calls = []
    X = np.arange(300.0).reshape(150, 2)
    y = np.zeros(150, dtype=int)
    y[-1] = 2  # a class present only in the last row
    y[100] = 1
    assert warm_up(_Spy, X, y, method="transform", rows=10)
    assert _Spy.calls == [("fit", (12, 2), [0, 1, 2]), ("transform", (12, 2), None)]
    _Spy.calls = []
    assert warm_up(_Spy, X[:5], method="transform", rows=10)  # fewer rows than asked: all of them
    assert _Spy.calls == [("fit", (5, 2), None), ("transform", (5, 2), None)]


def test_warm_up_reports_a_failure_without_raising_and_keeps_warnings_quiet():
    import warnings

    class Noisy(_Spy):
        def fit(self, X, y=None):
            warnings.warn("one-off noise", UserWarning)
            return super().fit(X, y)

    _Spy.calls = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning escaping warm_up would fail here
        assert warm_up(lambda: Noisy(fail=True), np.ones((4, 2)), np.arange(4)) is False
        assert warm_up(Noisy, np.ones((4, 2)), np.arange(4), method="transform") is True
    assert [call[0] for call in _Spy.calls] == ["fit", "fit", "transform"]
