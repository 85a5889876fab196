"""``mlatlas demo``: run every registry entry quickly and summarise the comparison.

Each entry runs into its own folder (``OUT/NAME``: record and figures); the summary
(``summary.md``, ``summary.json``) is built from the records only.
"""

from __future__ import annotations

import json
import os
import time
import traceback

from tqdm.auto import tqdm

from ..atlas import entries, get, run_entry
from ..atlas.record import _fmt

__all__ = ["run_demo", "summary_row", "markdown_table"]


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


def run_demo(out_dir: str = "mlatlas-demo", only=None, figures: bool = True, seed: int = 0,
             langs=("en",)) -> int:
    """Run every entry (or ``only`` those) with its demo parameters; write the summary.

    Returns the exit status: 1 when an entry failed (its traceback is in
    ``OUT/NAME.error.txt``), else 0.
    """
    selected = [get(name) for name in only] if only else entries()
    os.makedirs(out_dir, exist_ok=True)
    rows = []
    bar = tqdm(selected, desc="mlatlas demo", unit="algorithm")
    for entry in bar:
        bar.set_postfix_str(entry.name)
        start = time.perf_counter()
        record, error = None, None
        if entry.missing():
            error = f"needs {', '.join(entry.missing())}, which is not installed"
        else:
            try:
                record = run_entry(entry, params=dict(entry.demo_params), seed=seed,
                                   out_dir=os.path.join(out_dir, entry.name), figures=figures, langs=langs)
            except OSError:
                raise  # the output folder failed: the CLI reports it
            except Exception as exc:  # one broken entry must not hide the others' results
                error = f"{type(exc).__name__}: {exc}"
                with open(os.path.join(out_dir, f"{entry.name}.error.txt"), "w", encoding="utf-8") as handle:
                    handle.write(traceback.format_exc())
        rows.append(summary_row(entry, record, time.perf_counter() - start, error))
    table = markdown_table(rows)
    print(table)
    with open(os.path.join(out_dir, "summary.md"), "w", encoding="utf-8") as handle:
        handle.write("# mlatlas demo\n\n" + table + "\n")
    with open(os.path.join(out_dir, "summary.json"), "w", encoding="utf-8") as handle:
        json.dump(rows, handle, indent=2, default=str)
    print(f"wrote {os.path.join(out_dir, 'summary.md')} and summary.json")
    return 1 if any(r["status"] != "ok" for r in rows) else 0
