"""The one home of speed machinery: thread counts, BLAS thread limits, worker threads, warm-up.

Every algorithm that runs on several threads or limits BLAS does it through these few
functions, so the rules are written once:

* :func:`available_cpus` - how many cores this process may use: its CPU affinity,
  capped by ``OMP_NUM_THREADS`` when that is set (as OpenMP libraries read it);
* :func:`blas_threads` - how many threads the BLAS library is allowed right now
  (all cores unless limited by ``OMP_NUM_THREADS``/``OPENBLAS_NUM_THREADS`` or by
  threadpoolctl);
* :func:`limit_blas` - a ``with`` block during which BLAS runs on ``n`` threads.  Small
  matrix products gain nothing from BLAS threads (they only synchronise and, on a busy
  machine, spin), and when our own threads share out the work, BLAS threads on top of
  them would oversubscribe the cores;
* :func:`parallel_map` - ``[fn(item) for item in items]`` on several threads.  NumPy
  releases the GIL in its copy loops and in BLAS, and our numba kernels are compiled
  with ``nogil=True``, so the items run truly in parallel.  The calling thread works
  too, and every thread takes the next item from one shared queue when it is done
  with its last one: a thread slowed down by another process on its core simply takes
  fewer items.  Handing work to an idle thread costs a wake-up (tens of microseconds on
  a virtual machine), so the helper threads are woken once per call, not once per item.
  Results come back in the order of ``items``; if an item fails, the others stop
  taking new items, every thread finishes, and the exception of the first failed item
  (in the order of ``items``) is raised;
* :func:`split_rows` - ``n`` rows as ``parts`` contiguous (start, stop) ranges;
* :func:`warm_up` - fit a fresh model on a few rows and use it once, untimed, so that
  one-off costs (numba compiling a kernel or loading it from its disk cache, lazy
  imports, the worker threads starting) are paid before anything is timed.

Results never depend on the number of threads: the callers split their work into
pieces whose results are combined in a fixed order.

Examples
--------
>>> parallel_map(lambda rows: sum(range(*rows)), split_rows(10, 3), n_threads=2)
[3, 12, 30]
>>> with limit_blas(1):
...     blas_threads()
1
"""

from __future__ import annotations

import contextlib
import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any, Callable, Iterable

import numpy as np

__all__ = ["available_cpus", "blas_threads", "limit_blas", "parallel_map", "split_rows", "warm_up",
           "WARM_UP_ROWS"]

#: Rows of the training data a model is warmed up on (see :func:`warm_up`).
WARM_UP_ROWS = 64

_CONTROLLER: Any = None  # threadpoolctl's view of the loaded BLAS libraries, made once
_POOL: ThreadPoolExecutor | None = None  # the shared helper threads
_POOL_PID = -1  # a pool made before os.fork() has no threads in the child: make a new one
_POOL_LOCK = threading.Lock()
_IN_WORKER = threading.local()  # set while a thread runs items of parallel_map


def available_cpus() -> int:
    """Cores this process may run on, capped by ``OMP_NUM_THREADS`` when it is set.

    Returns
    -------
    int
        At least 1.

    Examples
    --------
    >>> available_cpus() >= 1
    True
    """
    if hasattr(os, "sched_getaffinity"):
        n = len(os.sched_getaffinity(0))
    else:  # pragma: no cover - not Linux
        n = os.cpu_count() or 1
    # OMP_NUM_THREADS may be a list ("4,2" for nested levels): the first entry is ours
    limit = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    if limit.isdigit() and int(limit) > 0:
        n = min(n, int(limit))
    return max(1, n)


def _blas_controller():
    """threadpoolctl's controller of the BLAS libraries, created on first use.

    threadpoolctl sees the libraries loaded when the controller is made, so SciPy's BLAS
    (the one numba's ``np.dot`` calls) is loaded first; NumPy's is loaded with NumPy.
    """
    global _CONTROLLER
    if _CONTROLLER is None:
        import scipy.linalg.cython_blas  # noqa: F401  (loads the BLAS numba's np.dot calls)
        from threadpoolctl import ThreadpoolController  # a dependency of scikit-learn

        _CONTROLLER = ThreadpoolController().select(user_api="blas")
    return _CONTROLLER


def blas_threads() -> int:
    """Threads the BLAS libraries may use now (the largest count among them; 1 if none).

    Examples
    --------
    >>> blas_threads() >= 1
    True
    """
    counts = [lib.num_threads for lib in _blas_controller().lib_controllers]
    return max(counts or [1])


def limit_blas(n_threads: int = 1, *, when: bool = True):
    """A context manager that keeps BLAS on ``n_threads`` threads inside its ``with`` block.

    The previous setting is restored on leaving the block (also on an exception).

    Parameters
    ----------
    n_threads : int, default=1
        The limit, >= 1.
    when : bool, default=True
        False gives a context that changes nothing (for limits that only some inputs
        need, e.g. small matrix products).

    Returns
    -------
    context manager

    Examples
    --------
    >>> before = blas_threads()
    >>> with limit_blas(1):
    ...     blas_threads()
    1
    >>> blas_threads() == before
    True
    """
    if isinstance(n_threads, bool) or not isinstance(n_threads, (int, np.integer)) or n_threads < 1:
        raise ValueError(f"n_threads must be an int >= 1; got {n_threads!r}.")
    if not when:
        return contextlib.nullcontext()
    return _blas_controller().limit(limits=int(n_threads))


def split_rows(n_rows: int, parts: int) -> list[tuple[int, int]]:
    """``n_rows`` rows as at most ``parts`` contiguous ``(start, stop)`` ranges of near-equal size.

    Parameters
    ----------
    n_rows : int, >= 0
    parts : int, >= 1

    Returns
    -------
    list of (int, int)
        Ranges covering ``0 .. n_rows`` in order, none empty (an empty list for 0 rows).

    Examples
    --------
    >>> split_rows(10, 3)
    [(0, 3), (3, 6), (6, 10)]
    >>> split_rows(2, 5)
    [(0, 1), (1, 2)]
    """
    if parts < 1:
        raise ValueError(f"parts must be >= 1; got {parts!r}.")
    parts = min(parts, n_rows)
    if parts == 0:
        return []
    bounds = np.linspace(0, n_rows, parts + 1).astype(int)
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]


def _pool(n_helpers: int) -> ThreadPoolExecutor:
    """The shared pool, with at least ``n_helpers`` threads (made again after a fork)."""
    global _POOL, _POOL_PID
    with _POOL_LOCK:
        if _POOL is None or _POOL_PID != os.getpid() or _POOL._max_workers < n_helpers:
            _POOL = ThreadPoolExecutor(max_workers=n_helpers, thread_name_prefix="mlatlas")
            _POOL_PID = os.getpid()
        return _POOL


def parallel_map(fn: Callable[[Any], Any], items: Iterable[Any], *, n_threads: int | None = None) -> list:
    """``[fn(item) for item in items]``, on up to ``n_threads`` threads (the caller's included).

    Parameters
    ----------
    fn : callable
        Called once per item.  Items must touch disjoint data (or only read shared data).
    items : iterable
    n_threads : int, optional
        Threads to use; :func:`available_cpus` by default.  One thread, one item, or a
        call made from inside another ``parallel_map`` runs the items in order on the
        calling thread.

    Returns
    -------
    list
        ``fn(item)`` for each item, in the order of ``items``.

    Raises
    ------
    Exception
        The exception of the first item (in the order of ``items``) that raised one,
        after every thread has stopped; items not yet started when it happened are
        not run.

    Notes
    -----
    While several threads run, BLAS is kept on one thread (:func:`limit_blas`), so that
    the two levels of parallelism do not oversubscribe the cores.

    Examples
    --------
    >>> parallel_map(lambda x: x * x, range(5), n_threads=3)
    [0, 1, 4, 9, 16]
    """
    items = list(items)
    n_threads = available_cpus() if n_threads is None else int(n_threads)
    n_threads = min(n_threads, len(items))
    if n_threads < 2 or getattr(_IN_WORKER, "active", False):
        # nested calls run inline: a pool thread waiting for pool threads could deadlock
        return [fn(item) for item in items]

    results: list = [None] * len(items)
    errors: list[tuple[int, BaseException]] = []
    queue = iter(enumerate(items))
    lock = threading.Lock()

    def worker() -> None:
        _IN_WORKER.active = True
        try:
            while True:
                with lock:
                    entry = None if errors else next(queue, None)
                if entry is None:
                    return
                k, item = entry
                try:
                    results[k] = fn(item)
                except BaseException as exc:  # noqa: BLE001 - re-raised by the caller below
                    with lock:
                        errors.append((k, exc))
        finally:
            _IN_WORKER.active = False

    pool = _pool(n_threads - 1)
    # (checking the count costs a tenth of changing it: callers often hold BLAS at 1 already)
    with limit_blas(1, when=blas_threads() > 1):
        helpers = [pool.submit(worker) for _ in range(n_threads - 1)]
        try:
            worker()
        finally:
            wait(helpers)  # never leave helpers running
    if errors:
        raise min(errors, key=lambda error: error[0])[1]
    return results


def warm_up(make: Callable[[], Any], X: np.ndarray, y: np.ndarray | None = None, *,
            method: str = "predict", rows: int = WARM_UP_ROWS) -> bool:
    """Fit a fresh model on a few rows of ``X`` and call ``method`` once, untimed.

    One-off costs are paid here before anything is timed: numba compiling a kernel or
    loading it from its disk cache, lazy imports, the worker threads starting.  The
    rows hold every class of ``y`` when there are labels.  A failure is ignored (it may
    come from the small slice, e.g. more neighbours than rows); the timed run raises
    any real error.  Warnings are silenced.

    Parameters
    ----------
    make : callable
        Returns a new, unfitted model.
    X : ndarray of shape (n_samples, ...)
    y : ndarray of shape (n_samples, ...), optional
        Targets; ``model.fit(X)`` is called without them.
    method : str, default="predict"
        The model's method called on the rows after fitting.
    rows : int, default=64
        The first ``rows`` rows are used (plus the first row of each class of ``y``).

    Returns
    -------
    bool
        Whether the warm-up ran without an error.

    Examples
    --------
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> X, y = np.arange(200.0).reshape(100, 2), np.arange(100) % 2
    >>> warm_up(lambda: KNeighborsClassifier(3), X, y)
    True
    """
    X = np.asarray(X)
    if X.shape[0] > rows:
        index = np.arange(rows)
        if y is not None:
            _, first = np.unique(y, return_index=True)  # one row of every class at least
            index = np.union1d(first, index)
        X = X[index]
        y = None if y is None else np.asarray(y)[index]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = make()
            if y is None:
                model.fit(X)
            else:
                model.fit(X, y)
            getattr(model, method)(X)
        except Exception:  # noqa: BLE001 - see the docstring: the timed run reports real errors
            return False
    return True
