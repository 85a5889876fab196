"""The ``mlatlas`` command line: list, run, draw, demo, report, train and sample.

``mlatlas list`` prints every registry entry (metadata only: it imports no algorithm);
``mlatlas run NAME`` fits ours and the reference side by side (on a bundled dataset or
the user's own file with ``--data``), prints the comparison and saves the run's record
and figures; ``mlatlas draw DIR`` redraws a saved run's figures from its record alone
(in English or Chinese); ``mlatlas demo`` runs every entry quickly and writes a
summary and the web report; ``mlatlas report`` builds that report from saved runs.  The subcommands and their options come from one table (:data:`COMMANDS`),
so a new command is one row and one function.

Mistakes in the command (unknown names, bad ``--set`` values, wrong datasets,
unreadable files or records) and every failure of the file system (an ``--out`` that
cannot be created or written) exit with status 2 and a one-line message; no traceback.
"""

from __future__ import annotations

import argparse
import ast
import math
import os
import re
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

__all__ = ["main", "parse_set", "parse_value", "build_parser", "COMMANDS", "OPTIONS"]


class UsageError(Exception):
    """A mistake in the command line; reported in one line with exit status 2."""


# ---------------------------------------------------------------------------- values


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


#: Seeds reach numpy and scikit-learn, which take integers in [0, 2**32 - 1].
SEED_MAX = 2**32 - 1


def _check_seed(seed: int) -> None:
    if not 0 <= seed <= SEED_MAX:
        raise UsageError(f"--seed must be an integer in [0, {SEED_MAX}]; got {seed}.")


def _languages(choice: str) -> tuple[str, ...]:
    return ("en", "zh") if choice == "both" else (choice,)


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


def _entry(name: str):
    from .atlas import get

    try:
        return get(name)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


# ---------------------------------------------------------------------------- commands


def cmd_list(args: argparse.Namespace) -> int:
    """Every entry: name, family, default dataset, reference, and what is missing to run it."""
    from .atlas import entries

    rows = [("name", "family", "default dataset", "reference", "notes")]
    for e in entries():
        notes = []
        if e.missing():
            notes.append(f"needs {', '.join(e.missing())} (not installed)")
        if e.missing_optional():
            notes.append(f"without {', '.join(e.missing_optional())}: fewer checks")
        rows.append((e.name, e.family, e.dataset or "-", e.reference_name or "-", "; ".join(notes)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run one entry, print its table, save its record and figures."""
    from .atlas import run_entry
    from .atlas.runner import DATA_TASKS

    entry = _entry(args.name)
    missing = entry.missing()
    if missing:
        raise UsageError(f"{entry.name} needs {', '.join(missing)}, which is not installed "
                         f"(pip install {' '.join(missing)}).")
    params = parse_set(args.set or [])
    try:
        params = entry.check_params(params)
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None
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
        record = run_entry(entry, dataset=args.dataset, data=data, params=params, seed=args.seed,
                           out_dir=out_dir, figures=not args.no_figures, langs=_languages(args.lang))
    except OSError as exc:
        raise UsageError(f"{entry.name}: could not write results to {out_dir!r}: {_os_message(exc)}.") from None
    except (ValueError, TypeError) as exc:
        # parameter values are validated when the estimator is fitted
        raise UsageError(f"{entry.name}: {exc}") from None
    print(f"{entry.name} on {record.dataset} (seed {args.seed})")
    print(record.table())
    n_figures = len(record.figures)
    print(f"wrote {out_dir}: record.json, arrays.npz" + (f" and {n_figures} figure(s)" if n_figures else ""))
    return 0


def cmd_draw(args: argparse.Namespace) -> int:
    """Redraw a saved run's figures from its record alone."""
    from .atlas import RunRecord, draw_record

    try:
        record = RunRecord.load(args.dir)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    entry = _entry(record.entry)
    langs = _languages(args.lang)
    try:
        written = draw_record(record, langs, entry=entry)
    except OSError as exc:
        raise UsageError(f"could not write figures to {args.dir!r}: {_os_message(exc)}.") from None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    print(f"drew {len(written)} figure(s) of {record.entry} in {args.dir} ({', '.join(langs)})")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Run every entry (or ``--only`` some) on its quick settings; write the summary."""
    from .report.summary import run_demo

    for name in args.only or ():
        _entry(name)
    _check_seed(args.seed)
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs must be an integer >= 1; got {args.jobs}.")
    prepare_out_dir(args.out)
    try:
        status = run_demo(out_dir=args.out, only=args.only, figures=not args.no_figures, seed=args.seed,
                          langs=_languages(args.lang), jobs=args.jobs)
    except OSError as exc:
        raise UsageError(f"demo: could not write results to {args.out!r}: {_os_message(exc)}.") from None
    # the last step: the web report of these runs, in OUT/report
    _build_report(args.out, os.path.join(args.out, "report"), "zh" if args.lang == "zh" else "en")
    return status


def _build_report(from_dir: str, out_dir: str, lang: str) -> str:
    """Build the web report; print where its index is.  File-system failures exit 2."""
    from .report import build_report

    prepare_out_dir(out_dir)
    try:
        index = build_report(from_dir, out_dir, lang=lang)
    except OSError as exc:
        raise UsageError(f"report: could not write the report to {out_dir!r}: {_os_message(exc)}.") from None
    print(f"web report: {index} (open it in a browser; it needs no network or server)")
    return index


def cmd_report(args: argparse.Namespace) -> int:
    """Build the static web report of the runs in ``--from`` into ``--out``."""
    if not os.path.isdir(args.from_dir):
        raise UsageError(f"--from {args.from_dir!r}: no such folder (write one with mlatlas demo --out DIR).")
    _build_report(args.from_dir, args.out or os.path.join(args.from_dir, "report"), args.lang)
    return 0


def _generative(call, *args, **kwargs):
    """Run a :mod:`mlatlas.generative.cli_support` function; its ValueError/TypeError exit 2."""
    from .generative import cli_support

    try:
        return getattr(cli_support, call)(*args, **kwargs)
    except OSError as exc:
        raise UsageError(f"{call}: {_os_message(exc)}.") from None
    except ImportError as exc:
        raise UsageError(f"{call} needs PyTorch ({exc}); pip install 'mlatlas[deep]'.") from None
    except (ValueError, TypeError) as exc:
        raise UsageError(" ".join(str(exc).split())) from None


def cmd_train(args: argparse.Namespace) -> int:
    """Train one generative model (or resume its run); save the model, checkpoints and record."""
    params = parse_set(args.set or [])
    if args.epochs is not None:
        params["epochs"] = args.epochs
    if args.device is not None:
        params["device"] = args.device
    # a seeded run by default, so that a resumed run repeats the straight one exactly;
    # --resume keeps the saved seed unless --seed is given
    if args.seed is not None:
        _check_seed(args.seed)
        params["random_state"] = args.seed
    elif not args.resume:
        params.setdefault("random_state", 0)
    out_dir = prepare_out_dir(args.out or os.path.join("mlatlas-output", args.model))
    model = _generative("train", args.model, params, out=out_dir, data=args.data, resume=args.resume)
    history = list(getattr(model, "history_", []) or [])
    last = ", ".join(f"{k} {v:.4g}" for k, v in (history[-1] if history else {}).items()
                     if isinstance(v, float) and math.isfinite(v))  # nan: a term not computed
    print(f"{args.model}: {len(history)} epoch(s)" + (f"; last epoch: {last}" if last else ""))
    from .atlas.models import MODELS

    kept = "checkpoints/, " if MODELS[args.model].torch else ""
    print(f"wrote {out_dir}: model/ (the final model), {kept}record.json, arrays.npz")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    """Draw images from a trained generative model; write FILE.npz and the grid FILE.png."""
    if args.seed is not None:
        _check_seed(args.seed)
    if args.n < 1:
        raise UsageError(f"-n must be an integer >= 1; got {args.n}.")
    # the sampler's own settings, passed on only when given (a model without them refuses them)
    options = {key: getattr(args, key) for key in ("steps", "method", "eta", "guidance")
               if getattr(args, key) is not None}
    npz, png = _generative("sample", args.model, args.checkpoint, args.n, args.out, label=args.label,
                           random_state=args.seed, prompt=args.prompt, **options)
    print(f"wrote {npz} and {png}")
    return 0


# ---------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Option:
    """One command-line option: its flags and ``argparse.add_argument`` keywords."""

    flags: tuple[str, ...]
    kwargs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Command:
    """One subcommand: its name, one line of help, its function and its options (keys of OPTIONS)."""

    name: str
    help: str
    handler: Callable[[argparse.Namespace], int]
    options: tuple[str, ...] = ()
    overrides: dict = field(default_factory=dict)  # option key -> keywords replacing the shared ones


OPTIONS: dict[str, Option] = {
    "name": Option(("name",), {"help": "algorithm name (see `mlatlas list`)"}),
    "dir": Option(("dir",), {"help": "a run's folder (written by `mlatlas run NAME --out DIR`)"}),
    "dataset": Option(("--dataset",), {"help": "dataset name (default: the entry's own)"}),
    "data": Option(("--data",), {"metavar": "FILE", "help": "run on your own .csv or .npz file instead "
                                 "(supervised and clustering entries)"}),
    "target": Option(("--target",), {"metavar": "COLUMN", "help": "the --data CSV's target column: a header name "
                                     "or an index (default: the last column; none for clustering)"}),
    "set": Option(("--set",), {"action": "append", "metavar": "KEY=VALUE",
                               "help": "override a parameter of the entry's config (repeatable)"}),
    "seed": Option(("--seed",), {"type": int, "default": 0, "help": "seed for the split, data and estimators"}),
    "out": Option(("--out",), {"help": "output folder (default: mlatlas-output/NAME)"}),
    "no_figures": Option(("--no-figures",), {"action": "store_true", "help": "save the record, skip the figures"}),
    "lang": Option(("--lang",), {"choices": ("en", "zh", "both"), "default": "en",
                                 "help": "figure language: English, Chinese or both (default: en)"}),
    "only": Option(("--only",), {"nargs": "+", "metavar": "NAME", "help": "run only these entries"}),
    "jobs": Option(("--jobs",), {"type": int, "metavar": "N", "help": "entries run at once in worker processes "
                                 "(default: one per core; 1 times each entry on a quiet machine)"}),
    "from_dir": Option(("--from",), {"dest": "from_dir", "default": "mlatlas-demo", "metavar": "DIR",
                                     "help": "a folder of runs, as `mlatlas demo --out DIR` writes (default: "
                                     "mlatlas-demo)"}),
    "report_lang": Option(("--lang",), {"choices": ("en", "zh"), "default": "en",
                                        "help": "the language pages open in; readers can switch (default: en)"}),
    "model": Option(("model",), {"help": "generative model (one of the list above)"}),
    "epochs": Option(("--epochs",), {"type": int, "metavar": "N", "help": "training epochs in all "
                                     "(with --resume: the total to continue to)"}),
    "device": Option(("--device",), {"choices": ("cpu", "cuda", "auto"), "help": "where to train (default: "
                                     "the model's own, auto)"}),
    "resume": Option(("--resume",), {"action": "store_true", "help": "continue the run in --out up to --epochs"}),
    "gen_data": Option(("--data",), {"metavar": "D", "help": "a dataset name or a local .npz / MNIST IDX image "
                                     "file, values in [0, 1] (default: the 8x8 digits)"}),
    "checkpoint": Option(("--checkpoint",), {"required": True, "metavar": "DIR",
                                             "help": "a folder written by `mlatlas train` (or a checkpoint)"}),
    "n": Option(("-n",), {"type": int, "default": 64, "metavar": "N", "help": "images to draw (default: 64)"}),
    "label": Option(("--label",), {"type": int, "metavar": "L", "help": "class label for a conditional model"}),
    "prompt": Option(("--prompt",), {"metavar": "P", "help": "the label as a word: 'seven', '七' or '7' "
                                     "(a stand-in for a text encoder)"}),
    "steps": Option(("--steps",), {"type": int, "metavar": "S", "help": "sampling steps (diffusion models)"}),
    "method": Option(("--method",), {"metavar": "M", "help": "sampler (diffusion models: ancestral or ddim)"}),
    "eta": Option(("--eta",), {"type": float, "metavar": "E", "help": "DDIM's noise scale (0: deterministic)"}),
    "guidance": Option(("--guidance",), {"type": float, "metavar": "W",
                                         "help": "classifier-free guidance weight (conditional diffusion models)"}),
}

COMMANDS: tuple[Command, ...] = (
    Command("list", "list every algorithm in the atlas", cmd_list),
    Command("run", "fit one algorithm and its reference side by side; save the record and figures", cmd_run,
            ("name", "dataset", "data", "target", "set", "seed", "out", "no_figures", "lang")),
    Command("draw", "redraw a saved run's figures from its record", cmd_draw, ("dir", "lang")),
    Command("demo", "run every algorithm quickly and summarise", cmd_demo,
            ("out", "only", "seed", "no_figures", "lang", "jobs"),
            overrides={"out": {"default": "mlatlas-demo", "help": "output folder (default: mlatlas-demo)"}}),
    Command("report", "build the static, bilingual web report of saved runs", cmd_report,
            ("from_dir", "out", "report_lang"),
            overrides={"out": {"metavar": "DIR", "help": "where the site goes (default: FROM/report)"}}),
    Command("train", "train a generative model; save it, its checkpoints and its record",
            cmd_train, ("model", "epochs", "set", "gen_data", "device", "seed", "out", "resume"),
            overrides={"set": {"help": "override a field of the model's config (repeatable)"},
                       "seed": {"default": None, "help": "the model's random_state (default: 0; with "
                                "--resume: the saved one)"},
                       "out": {"help": "run folder (default: mlatlas-output/MODEL)"}}),
    Command("sample", "draw images from a trained generative model into FILE.npz and FILE.png", cmd_sample,
            ("model", "checkpoint", "n", "label", "prompt", "steps", "method", "eta", "guidance", "seed", "out"),
            overrides={"out": {"required": True, "metavar": "FILE", "help": "FILE.npz (x, and y when labelled) "
                                                                            "and FILE.png (a grid)"},
                       "seed": {"default": None, "help": "seed for the draw (default: random)"}}),
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, built from :data:`COMMANDS` and :data:`OPTIONS`."""
    parser = argparse.ArgumentParser(
        prog="mlatlas",
        description="An atlas of machine-learning algorithms: run each, compare it with its reference, draw it.",
    )
    from .atlas.models import MODELS

    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        description = command.help
        if "model" in command.options:
            description += f". Models: {', '.join(MODELS)}."
        p = sub.add_parser(command.name, help=command.help, description=description)
        for key in command.options:
            option = OPTIONS[key]
            p.add_argument(*option.flags, **{**option.kwargs, **command.overrides.get(key, {})})
        p.set_defaults(func=command.handler)
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
