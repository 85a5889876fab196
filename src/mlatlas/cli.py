"""The ``mlatlas`` command line: list, run and demo.

``mlatlas list`` prints every registry entry; ``mlatlas run NAME`` fits ours and the
reference side by side (on a bundled dataset or the user's own file with ``--data``),
prints the comparison, writes ``metrics.json`` and figures; ``mlatlas demo`` runs every
entry quickly and writes a summary.  Mistakes in the command (unknown names, bad
``--set`` values, wrong datasets, unreadable files) and every failure of the file
system (an ``--out`` that cannot be created or written) exit with status 2 and a
one-line message; no traceback.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import sys
import tempfile
import warnings
from typing import Any, Sequence

__all__ = ["main", "parse_set"]


class UsageError(Exception):
    """A mistake in the command line; reported in one line with exit status 2."""


def parse_value(text: str) -> Any:
    """Read a ``--set`` value: Python literals, ``none``, ``inf``/``-inf``, ``nan``, else the string.

    ``nan`` becomes ``float("nan")`` so that the estimator's own parameter check reports
    it (a string would only say "got str").
    """
    lowered = text.strip().lower()
    if lowered in ("none", "null"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("inf", "+inf", "infinity", "+infinity"):
        return float("inf")
    if lowered in ("-inf", "-infinity"):
        return float("-inf")
    if lowered in ("nan", "+nan", "-nan"):
        return float("nan")
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_set(items: Sequence[str]) -> dict:
    """Turn ``["k=v", ...]`` into a dict, reading each value with :func:`parse_value`."""
    params = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set expects key=value; got {item!r}.")
        params[key.strip()] = parse_value(value)
    return params


def _check_params(entry, params: dict) -> None:
    if not params:
        return
    if entry.estimator is None:
        raise UsageError(f"{entry.name} takes no --set parameters.")
    accepted = sorted(entry.estimator(**entry.params).get_params(deep=False))
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise UsageError(
            f"{entry.name} has no parameter {', '.join(map(repr, unknown))}; allowed: {', '.join(accepted)}."
        )


#: Seeds reach numpy and scikit-learn, which take integers in [0, 2**32 - 1].
SEED_MAX = 2**32 - 1


def _check_seed(seed: int) -> None:
    if not 0 <= seed <= SEED_MAX:
        raise UsageError(f"--seed must be an integer in [0, {SEED_MAX}]; got {seed}.")


def _os_message(exc: OSError) -> str:
    """``'PATH': reason`` from an OSError, without the errno noise."""
    reason = exc.strerror or str(exc)
    return f"{exc.filename!r}: {reason}" if exc.filename else reason


def prepare_out_dir(path: str, option: str = "--out") -> str:
    """Create the output folder ``path`` and check that a file can be written in it.

    Called before any work, so that a run does not fit everything and then fail to
    save.  Any failure is a :class:`UsageError` naming the folder and the reason.
    """
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"{option} {path!r} is a file, not a folder.")
    try:
        os.makedirs(path, exist_ok=True)
        # the folder may exist and still refuse files (read-only, /proc, a full disk...)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".mlatlas-write-check-"):
            pass
    except OSError as exc:
        where = "" if exc.filename in (None, path) else f" ({exc.filename!r})"
        raise UsageError(f"cannot write to {option} {path!r}{where}: {exc.strerror or exc}.") from None
    return path


def _target_column(text: str | None) -> str | int | None:
    """``--target``: a header name, or an integer index (0-based; negative from the end)."""
    if text is None:
        return None
    return int(text) if re.fullmatch(r"[+-]?\d+", text.strip()) else text


def _load_user_data(entry, path: str, target: str | None):
    """Read ``--data FILE`` with :func:`mlatlas.datasets.load_file`; check it suits the entry."""
    from . import datasets
    from .atlas.runner import check_user_data

    column = _target_column(target)
    if column is None:
        # clustering needs no target: every column is a feature unless --target names one
        column = None if entry.task == "clustering" else -1
    try:
        data = datasets.load_file(path, target=column)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot read --data {_os_message(exc)}.") from None
    try:
        return check_user_data(entry, data)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def cmd_list(args: argparse.Namespace) -> int:
    from .atlas import entries

    rows = [("name", "family", "default dataset", "reference")]
    rows += [(e.name, e.family, e.dataset or "-", e.reference_name or "-") for e in entries()]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for n, row in enumerate(rows):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from .atlas import get, run_entry
    from .atlas.runner import DATA_TASKS

    try:
        entry = get(args.name)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    params = parse_set(args.set or [])
    _check_params(entry, params)
    _check_seed(args.seed)
    allowed = entry.allowed_datasets()
    if args.dataset is not None:
        if args.data is not None:
            raise UsageError("give --dataset NAME or --data FILE, not both.")
        if not allowed:
            raise UsageError(f"{entry.name} takes no --dataset (it runs on its own fixed example); "
                             f"got {args.dataset!r}.")
        if args.dataset not in allowed:
            raise UsageError(f"{entry.name} does not run on dataset {args.dataset!r}; "
                             f"allowed: {', '.join(allowed)}.")
    if args.target is not None and args.data is None:
        raise UsageError("--target names a column of --data FILE; give --data too.")
    if args.data is not None and entry.task not in DATA_TASKS:
        raise UsageError(f"{entry.name} is a {entry.task if entry.task != 'other' else 'special'} entry; "
                         f"--data runs {', '.join(DATA_TASKS)} entries only.")
    out_dir = prepare_out_dir(args.out or os.path.join("mlatlas-output", entry.name))
    data = _load_user_data(entry, args.data, args.target) if args.data is not None else None
    try:
        result = run_entry(entry, dataset=args.dataset, data=data, params=params, seed=args.seed,
                           out_dir=out_dir, figures=not args.no_figures)
    except OSError as exc:
        raise UsageError(f"{entry.name}: could not write results to {out_dir!r}: {_os_message(exc)}.") from None
    except (ValueError, TypeError) as exc:
        # Parameter values are validated when the estimator is fitted.
        raise UsageError(f"{entry.name}: {exc}") from None
    print(f"{entry.name} on {result.dataset} (seed {args.seed})")
    print(result.table())
    print(f"wrote {os.path.join(out_dir, 'metrics.json')}" +
          (f" and {len(result.figures)} figure(s)" if result.figures else ""))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .atlas import get
    from .report.summary import run_demo

    for name in args.only or ():
        try:
            get(name)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    _check_seed(args.seed)
    prepare_out_dir(args.out)
    try:
        return run_demo(out_dir=args.out, only=args.only, figures=not args.no_figures, seed=args.seed)
    except OSError as exc:
        raise UsageError(f"demo: could not write results to {args.out!r}: {_os_message(exc)}.") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlatlas",
        description="An atlas of machine-learning algorithms: run each, compare it with its reference, draw it.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p_list = sub.add_parser("list", help="list every algorithm in the atlas")
    p_list.set_defaults(func=cmd_list)

    p_run = sub.add_parser("run", help="fit one algorithm and its reference side by side")
    p_run.add_argument("name", help="algorithm name (see `mlatlas list`)")
    p_run.add_argument("--dataset", help="dataset name (default: the entry's own)")
    p_run.add_argument("--data", metavar="FILE",
                       help="run on your own .csv or .npz file instead (supervised and clustering entries)")
    p_run.add_argument("--target", metavar="COLUMN",
                       help="the --data CSV's target column: a header name or an index "
                            "(default: the last column; none for clustering)")
    p_run.add_argument("--set", action="append", metavar="KEY=VALUE",
                       help="override a parameter of our estimator (repeatable)")
    p_run.add_argument("--seed", type=int, default=0, help="seed for the split, data and estimators")
    p_run.add_argument("--out", help="output folder (default: mlatlas-output/NAME)")
    p_run.add_argument("--no-figures", action="store_true", help="skip the figures")
    p_run.set_defaults(func=cmd_run)

    p_demo = sub.add_parser("demo", help="run every algorithm quickly and summarise")
    p_demo.add_argument("--out", default="mlatlas-demo", help="output folder (default: mlatlas-demo)")
    p_demo.add_argument("--only", nargs="+", metavar="NAME", help="run only these entries")
    p_demo.add_argument("--seed", type=int, default=0)
    p_demo.add_argument("--no-figures", action="store_true", help="skip the figures")
    p_demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed its one-line usage error
        return int(exc.code or 0)
    try:
        with warnings.catch_warnings():
            if not sys.warnoptions:
                warnings.simplefilter("default")
            return args.func(args)
    except UsageError as exc:
        print(f"mlatlas: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mlatlas: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
