"""``mlatlas demo``: run every registry entry quickly and summarise the comparison."""

from __future__ import annotations

import json
import os
import time
import traceback

from tqdm.auto import tqdm

from ..atlas import entries, get, run_entry
from ..atlas.runner import _fmt, primary_metric

__all__ = ["run_demo", "summary_rows", "markdown_table"]


def summary_rows(results: list) -> list[dict]:
    """One row per run: the primary metric of ours and of the reference, fit times."""
    rows = []
    for entry, result, seconds, error in results:
        key = primary_metric(entry)
        row = {"name": entry.name, "family": entry.family, "dataset": getattr(result, "dataset", entry.dataset),
               "metric": key, "ours": None, "reference": None, "fit_time_ours": None,
               "fit_time_reference": None, "seconds": round(seconds, 2), "status": "ok" if error is None else "error"}
        if error is not None:
            row["error"] = error
        if result is not None:
            if result.rows:
                row["ours"] = result.rows[0].metrics.get(key)
                row["fit_time_ours"] = result.rows[0].fit_time
            if len(result.rows) > 1:
                row["reference"] = result.rows[1].metrics.get(key)
                row["fit_time_reference"] = result.rows[1].fit_time
        rows.append(row)
    return rows


def markdown_table(rows: list[dict]) -> str:
    head = "| algorithm | dataset | metric | mlatlas | reference | fit s (ours) | fit s (ref) | status |"
    lines = [head, "|" + "---|" * 8]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['dataset']} | {r['metric'] or '-'} | {_fmt(r['ours'])} | {_fmt(r['reference'])} "
            f"| {_fmt(r['fit_time_ours'])} | {_fmt(r['fit_time_reference'])} | {r['status']} |"
        )
    return "\n".join(lines)


def run_demo(out_dir: str = "mlatlas-demo", only=None, figures: bool = True, seed: int = 0) -> int:
    """Run every entry (or ``only`` those) with its demo parameters; write the summary."""
    selected = [get(name) for name in only] if only else entries()
    os.makedirs(out_dir, exist_ok=True)
    results = []
    bar = tqdm(selected, desc="mlatlas demo", unit="algorithm")
    for entry in bar:
        bar.set_postfix_str(entry.name)
        start = time.perf_counter()
        try:
            result = run_entry(entry, params=dict(entry.demo_params), seed=seed,
                               out_dir=os.path.join(out_dir, entry.name), figures=figures)
            error = None
        except Exception as exc:  # one broken entry must not hide the others' results
            result, error = None, f"{type(exc).__name__}: {exc}"
            with open(os.path.join(out_dir, f"{entry.name}.error.txt"), "w", encoding="utf-8") as handle:
                handle.write(traceback.format_exc())
        results.append((entry, result, time.perf_counter() - start, error))
    rows = summary_rows(results)
    table = markdown_table(rows)
    print(table)
    with open(os.path.join(out_dir, "summary.md"), "w", encoding="utf-8") as handle:
        handle.write("# mlatlas demo\n\n" + table + "\n")
    with open(os.path.join(out_dir, "summary.json"), "w", encoding="utf-8") as handle:
        json.dump(rows, handle, indent=2, default=str)
    print(f"wrote {os.path.join(out_dir, 'summary.md')} and summary.json")
    return 1 if any(r["status"] != "ok" for r in rows) else 0
