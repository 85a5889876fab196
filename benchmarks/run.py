"""Run the benchmarks: ``python -m benchmarks.run [--quick] [--json FILE] [--markdown FILE]``.

Prints one row per case: median seconds of ours and of the reference, their ratio,
the target ratio and both quality figures.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import platform
import pkgutil
import sys
from dataclasses import asdict

from . import harness


def load_cases() -> list[harness.Case]:
    package_dir = os.path.dirname(__file__)
    for module in sorted(pkgutil.iter_modules([package_dir]), key=lambda m: m.name):
        if module.name.startswith("cases_"):
            importlib.import_module(f"benchmarks.{module.name}")
    return harness.CASES


def machine_info() -> dict:
    import numpy as np
    import sklearn

    info = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
    }
    try:
        import torch

        info["torch"] = torch.__version__
    except ImportError:
        pass
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [f"{p.get('internal_api')} {p.get('version')} {p.get('architecture')} "
                        f"threads={p.get('num_threads')}" for p in threadpool_info()]
    except Exception:  # pragma: no cover - informational only
        pass
    return info


def _fmt(x: float) -> str:
    if x != x:
        return "-"
    return f"{x:.4g}"


def _cell(text) -> str:
    """Escape pipes, which would end a Markdown table cell."""
    return str(text).replace("|", "\\|")


def table(results: list[harness.Measurement]) -> str:
    head = ("| case | reference | ours (s) | reference (s) | ratio | target | met | quality | ours | reference |\n"
            "|---|---|---|---|---|---|---|---|---|---|")
    rows = [head]
    for m in results:
        met = "-" if m.meets_target is None else ("yes" if m.meets_target else "NO")
        rows.append(
            f"| {_cell(m.name)} | {_cell(m.reference_name)} | {_fmt(m.ours_seconds)} | {_fmt(m.reference_seconds)} | "
            f"{m.ratio:.2f} | {'-' if m.target is None else f'<= {m.target}'} | {met} | {_cell(m.quality_name)} | "
            f"{_fmt(m.ours_quality)} | {_fmt(m.reference_quality)} |"
        )
    return "\n".join(rows)


NOTES = """## Notes

- Threads: every case gives both sides the same threads. The MLP epochs run both sides
  on one thread (small matrix products, where thread hand-offs dominate); the forests use
  `n_jobs=2` on both sides; everything else runs with the libraries' defaults on the
  machine's cores. On a loaded machine, multi-threaded BLAS slows down far more than
  single-threaded, so compare runs made on a quiet machine.
- Conv2d is the closest to its target: PyTorch's own time for that step flips between
  about 4-5 ms and 8-10 ms from run to run (it follows page faults), so its ratio has
  ranged from 1.95 to 3.0 over repeated runs of the same code.
- Quality columns are the same figure computed for both libraries on the same split;
  the tree on digits averages 20 seeds because scikit-learn breaks split ties at random.
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller data and fewer repeats")
    parser.add_argument("--only", nargs="+", metavar="TEXT", help="run cases whose name or group contains TEXT")
    parser.add_argument("--repeats", type=int, help="timed repeats per case (default: the case's own)")
    parser.add_argument("--json", metavar="FILE", help="write the measurements as JSON")
    parser.add_argument("--markdown", metavar="FILE", help="write the table and the machine as Markdown")
    args = parser.parse_args(argv)

    cases = load_cases()
    if args.only:
        cases = [c for c in cases if any(t.lower() in (c.name + " " + c.group).lower() for t in args.only)]
    if not cases:
        print("no benchmark case matched", file=sys.stderr)
        return 2
    results = []
    for c in cases:
        print(f"running {c.name} ...", file=sys.stderr, flush=True)
        results.append(harness.measure(c, quick=args.quick, repeats=args.repeats))
    text = table(results)
    print(text)
    info = machine_info()
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"machine": info, "quick": args.quick, "results": [asdict(m) for m in results]},
                      handle, indent=2)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as handle:
            handle.write("# Benchmarks\n\nRatio = median time of mlatlas / median time of the reference, "
                         "same data, same process, alternating runs. Lower is better; `met` compares "
                         "with the target from the issues.\n\n")
            handle.write(f"Command: `python -m benchmarks.run{' --quick' if args.quick else ''}`\n\n")
            handle.write(text + "\n\n## Machine\n\n")
            for k, v in info.items():
                handle.write(f"- {k}: {v}\n")
            handle.write("\n" + NOTES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
