"""``mlatlas demo``: run every registry entry quickly and summarise the comparison.

Each entry runs into its own folder (``OUT/NAME``: record and figures); the summary
(``summary.md``, ``summary.json``) is built from the records only.  Entries run in
parallel worker processes, one per core by default (``jobs``); each worker's numeric
libraries get their share of the cores, so the processes do not oversubscribe the
machine.  The fit times in the summary are then taken while other entries run: use
``jobs=1`` (``mlatlas demo --jobs 1``) for times taken on a quiet machine.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed

from tqdm.auto import tqdm

from ..atlas import entries, get, run_entry
from ..atlas.record import _fmt

__all__ = ["run_demo", "summary_row", "markdown_table", "default_jobs"]

#: Thread settings of the numeric libraries, given to each worker process.
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def default_jobs() -> int:
    """One worker process per core this process may run on."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores)


def summary_row(entry, record, seconds: float, error: str | None = None) -> dict:
    """One row of the summary: the run's own dataset, its primary metric for ours and the reference."""
    row = {"name": entry.name, "family": entry.family,
           "dataset": record.dataset if record is not None else entry.dataset,
           "metric": record.primary_metric if record is not None else entry.primary_metric,
           "ours": None, "reference": None, "fit_time_ours": None, "fit_time_reference": None,
           "seconds": round(seconds, 2), "status": "ok" if error is None else "error"}
    if error is not None:
        row["error"] = error
    if record is not None:
        row["ours"] = record.primary(0)
        row["fit_time_ours"] = record.rows[0].fit_time if record.rows else None
        if len(record.rows) > 1:
            row["reference"] = record.primary(1)
            row["fit_time_reference"] = record.rows[1].fit_time
    return row


def markdown_table(rows: list[dict]) -> str:
    head = "| algorithm | dataset | metric | mlatlas | reference | fit s (ours) | fit s (ref) | status |"
    lines = [head, "|" + "---|" * 8]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['dataset'] or '-'} | {r['metric'] or '-'} | {_fmt(r['ours'])} | {_fmt(r['reference'])} "
            f"| {_fmt(r['fit_time_ours'])} | {_fmt(r['fit_time_reference'])} | {r['status']} |"
        )
    return "\n".join(lines)


def _run_one(name: str, out_dir: str, figures: bool, seed: int, langs) -> dict:
    """Run one entry into ``OUT/NAME``; a failure becomes an error row and ``OUT/NAME.error.txt``."""
    entry = get(name)
    start = time.perf_counter()
    record, error = None, None
    if entry.missing():
        error = f"needs {', '.join(entry.missing())}, which is not installed"
    else:
        try:
            record = run_entry(entry, params=dict(entry.demo_params), seed=seed,
                               out_dir=os.path.join(out_dir, name), figures=figures, langs=langs)
        except OSError:
            raise  # the output folder failed: the CLI reports it
        except Exception as exc:  # one broken entry must not hide the others' results
            error = f"{type(exc).__name__}: {exc}"
            with open(os.path.join(out_dir, f"{name}.error.txt"), "w", encoding="utf-8") as handle:
                handle.write(traceback.format_exc())
    return summary_row(entry, record, time.perf_counter() - start, error)


@contextlib.contextmanager
def _worker_threads(n: int):
    """Give worker processes started inside this block ``n`` threads each (restored after)."""
    saved = {name: os.environ.get(name) for name in _THREAD_VARIABLES}
    os.environ.update({name: str(n) for name in _THREAD_VARIABLES})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_demo(out_dir: str = "mlatlas-demo", only=None, figures: bool = True, seed: int = 0,
             langs=("en",), jobs: int | None = None) -> int:
    """Run every entry (or ``only`` those) with its demo parameters; write the summary.

    Parameters
    ----------
    out_dir : str
    only : list of str, optional
        Entry names to run instead of all.
    figures : bool
    seed : int
    langs : sequence of {"en", "zh"}
    jobs : int, optional
        Worker processes (default :func:`default_jobs`); 1 runs every entry in this
        process, one after the other.

    Returns
    -------
    int
        The exit status: 1 when an entry failed (its traceback is in
        ``OUT/NAME.error.txt``), else 0.
    """
    names = list(only) if only else [e.name for e in entries()]
    for name in names:
        get(name)
    jobs = min(jobs or default_jobs(), len(names))
    os.makedirs(out_dir, exist_ok=True)
    rows: dict[str, dict] = {}
    bar = tqdm(total=len(names), desc="mlatlas demo", unit="algorithm")
    if jobs <= 1:
        for name in names:
            bar.set_postfix_str(name)
            rows[name] = _run_one(name, out_dir, figures, seed, langs)
            bar.update()
    else:
        threads = max(1, default_jobs() // jobs)
        # "spawn": fresh interpreters, never a fork of a process that holds threads
        context = multiprocessing.get_context("spawn")
        with _worker_threads(threads), ProcessPoolExecutor(jobs, mp_context=context) as pool:
            futures = {pool.submit(_run_one, name, out_dir, figures, seed, tuple(langs)): name for name in names}
            for future in as_completed(futures):
                rows[futures[future]] = future.result()
                bar.set_postfix_str(futures[future])
                bar.update()
    bar.close()
    ordered = [rows[name] for name in names]
    table = markdown_table(ordered)
    print(table)
    with open(os.path.join(out_dir, "summary.md"), "w", encoding="utf-8") as handle:
        handle.write("# mlatlas demo\n\n" + table + "\n")
    with open(os.path.join(out_dir, "summary.json"), "w", encoding="utf-8") as handle:
        json.dump(ordered, handle, indent=2, default=str)
    print(f"wrote {os.path.join(out_dir, 'summary.md')} and summary.json")
    return 1 if any(r["status"] != "ok" for r in ordered) else 0
