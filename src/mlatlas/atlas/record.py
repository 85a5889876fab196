"""Run records: what a run of one atlas entry produced, saved so that it can be read back.

A :class:`RunRecord` holds one row per model (its metrics and times), the comparison
between ours and the reference, every array a figure needs (loss curves, curves over
``k`` or depth, decision surfaces on a grid, fitted trees as arrays...), small JSON
values (feature names, class names, formatted settings), the seed, the parameters and
the library versions.  Figures are drawn from a record and fit nothing, so any run can
be redrawn, translated or put in a report without being run again.

On disk a record is a folder::

    DIR/record.json    everything but the arrays (strict layout, checked on load)
    DIR/arrays.npz     the arrays, one entry per name (no pickled objects)
    DIR/*.png          the figures; record.json lists them by path relative to DIR

Both files are written atomically (a temporary file in DIR, then a rename), the arrays
first and ``record.json`` last, so a reader never sees half a record.  ``record.json``
is JSON as Python's :mod:`json` writes it (non-finite numbers as ``NaN`` and
``Infinity``).  :meth:`RunRecord.load` checks every field and array against the
layout and raises one :class:`ValueError` naming the file and what is wrong.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._atomic import atomic_write

__all__ = ["RunRecord", "ModelRow", "FORMAT", "VERSION", "RECORD_FILE", "ARRAYS_FILE", "library_versions",
           "figure_language"]

FORMAT = "mlatlas-run-record"
VERSION = 1
RECORD_FILE = "record.json"
ARRAYS_FILE = "arrays.npz"

#: record.json is small (arrays live in the .npz); anything larger is not ours.
MAX_RECORD_BYTES = 16 * 1024 * 1024
#: Array names: letters, digits and ``_ . -`` (no path separators).
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,199}$")
#: Figure paths in a record: plain file names inside the record's folder.
_FIGURE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,199}\.png$")
#: Array kinds a record may hold: bool, integers, floats, complex and unicode text.
_KINDS = "biufcU"


def figure_language(name: str) -> str:
    """The language of a figure file: ``"zh"`` for ``stem.zh.png``, else ``"en"``."""
    return "zh" if name.endswith(".zh.png") else "en"


@dataclass
class ModelRow:
    """One model's line in the comparison table: scalar metrics and wall times (s)."""

    model: str
    metrics: dict = field(default_factory=dict)
    fit_time: float | None = None
    predict_time: float | None = None


@dataclass
class RunRecord:
    """Everything one run produced that a table, a figure or a report needs.

    Attributes
    ----------
    entry, dataset : str
        The registry entry and the dataset it ran on.
    seed : int
    params : dict
        The parameters the run used (JSON values).
    rows : list of ModelRow
        Ours first, then the reference(s).
    comparison : dict
        How ours and the reference agree (scalars).
    arrays : dict of str to ndarray
        Every trace a figure needs, by name (``"loss.mlatlas"``, ``"moons.regions"``...).
    info : dict
        Small JSON values figures need (feature and class names, formatted settings).
    versions : dict
        Library versions the run used (see :func:`library_versions`).
    primary_metric : str or None
        The key of ``rows[0].metrics`` that summaries show.
    timing_note : str
        How the times were taken (printed under the table).
    figures : list of str
        Figure file names, relative to the record's folder: ``stem.png`` in English,
        ``stem.zh.png`` in Chinese (see :func:`figure_language`).
    directory : str or None
        The folder the record was saved to or loaded from.
    """

    entry: str
    dataset: str
    seed: int
    params: dict
    rows: list[ModelRow]
    comparison: dict = field(default_factory=dict)
    arrays: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)
    primary_metric: str | None = None
    timing_note: str = ""
    figures: list = field(default_factory=list)
    directory: str | None = field(default=None, compare=False)

    # ------------------------------------------------------------------ building

    def add(self, prefix: str | None = None, **arrays: Any) -> None:
        """Store arrays under ``prefix.name`` (or ``name``); each becomes an ndarray."""
        for name, value in arrays.items():
            key = f"{prefix}.{name}" if prefix else name
            self.arrays[key] = _as_array(key, value)

    def array(self, name: str) -> np.ndarray:
        """The array ``name``; a ValueError says which record lacks it."""
        if name not in self.arrays:
            where = self.directory or "this record"
            raise ValueError(f"{where}: the record of {self.entry!r} has no array {name!r}; "
                             "it was written by a run that did not record it.")
        return self.arrays[name]

    def primary(self, row: int = 0) -> Any:
        """The primary metric of row ``row`` (None when absent)."""
        if self.primary_metric is None or row >= len(self.rows):
            return None
        return self.rows[row].metrics.get(self.primary_metric)

    def figures_in(self, lang: str) -> list[str]:
        """The record's figures drawn in ``lang``."""
        return [name for name in self.figures if figure_language(name) == lang]

    def figure_path(self, stem: str, lang: str = "en") -> str:
        """Where figure ``stem`` goes: ``DIR/stem.png`` (English) or ``DIR/stem.zh.png``.

        Characters other than letters, digits and ``_ . -`` in ``stem`` (from a user's
        file name, say) become ``_``.
        """
        if self.directory is None:
            raise ValueError("save the record (RunRecord.save) before drawing its figures.")
        stem = re.sub(r"[^A-Za-z0-9_.\-]", "_", stem)
        name = f"{stem}.png" if lang == "en" else f"{stem}.{lang}.png"
        if not _FIGURE.match(name):
            raise ValueError(f"figure name {name!r} is not a plain file name.")
        return os.path.join(self.directory, name)

    # ------------------------------------------------------------------ table

    def table(self) -> str:
        """The side-by-side table the CLI prints: metrics as rows, models as columns."""
        keys: list[str] = []
        for row in self.rows:
            for key in row.metrics:
                if key not in keys:
                    keys.append(key)
        header = ["", *[row.model for row in self.rows]]
        lines = [header]
        for key in keys:
            lines.append([key, *[_fmt(row.metrics.get(key)) for row in self.rows]])
        if any(row.fit_time is not None for row in self.rows):
            lines.append(["fit time (s)", *[_fmt(row.fit_time) for row in self.rows]])
        if any(row.predict_time is not None for row in self.rows):
            lines.append(["predict time (s)", *[_fmt(row.predict_time) for row in self.rows]])
        widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
        out = []
        for n, line in enumerate(lines):
            out.append("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                                 for i, (c, w) in enumerate(zip(line, widths))))
            if n == 0:
                out.append("  ".join("-" * w for w in widths))
        for key, value in self.comparison.items():
            out.append(f"{key}: {_fmt(value)}")
        timed = any(row.fit_time is not None or row.predict_time is not None for row in self.rows)
        if timed and self.timing_note:
            out.append(self.timing_note)
        return "\n".join(out)

    # ------------------------------------------------------------------ saving

    def to_json(self) -> dict:
        """The content of ``record.json`` (arrays described by dtype and shape only)."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "entry": self.entry,
            "dataset": self.dataset,
            "seed": int(self.seed),
            "params": _jsonable(self.params),
            "rows": [{"model": r.model, "metrics": _scalars(r.metrics, f"rows[{r.model!r}].metrics"),
                      "fit_time": _optional_float(r.fit_time), "predict_time": _optional_float(r.predict_time)}
                     for r in self.rows],
            "comparison": _scalars(self.comparison, "comparison"),
            "info": _jsonable(self.info),
            "versions": {str(k): str(v) for k, v in self.versions.items()},
            "primary_metric": self.primary_metric,
            "timing_note": self.timing_note,
            "figures": list(self.figures),
            "arrays": {name: {"dtype": a.dtype.str, "shape": list(a.shape)} for name, a in self.arrays.items()},
        }

    def save(self, directory: str | os.PathLike) -> str:
        """Write ``record.json`` and ``arrays.npz`` into ``directory`` (created if needed).

        The arrays are written first and ``record.json`` last, each to a temporary file
        renamed into place, so an interrupted save leaves the previous record (or none).
        Returns the folder.
        """
        directory = os.fspath(directory)
        for name, value in list(self.arrays.items()):
            self.arrays[name] = _as_array(name, value)
        content = json.dumps(self.to_json(), indent=1, ensure_ascii=False)
        os.makedirs(directory, exist_ok=True)
        atomic_write(os.path.join(directory, ARRAYS_FILE), lambda handle: np.savez(handle, **self.arrays))
        atomic_write(os.path.join(directory, RECORD_FILE), lambda handle: handle.write(content.encode("utf-8")))
        self.directory = directory
        return directory

    def save_json(self) -> None:
        """Rewrite only ``record.json`` (after figures were drawn); the arrays are unchanged."""
        if self.directory is None:
            raise ValueError("save the record (RunRecord.save) before updating it.")
        content = json.dumps(self.to_json(), indent=1, ensure_ascii=False)
        atomic_write(os.path.join(self.directory, RECORD_FILE), lambda handle: handle.write(content.encode("utf-8")))

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(cls, directory: str | os.PathLike) -> "RunRecord":
        """Read a record saved by :meth:`save`, checking its layout.

        Raises
        ------
        ValueError
            A missing or malformed ``record.json`` or ``arrays.npz`` (the message names
            the file and the problem).
        """
        directory = os.fspath(directory)
        if not os.path.isdir(directory):
            raise ValueError(f"{directory}: no such folder (a run record is a folder holding {RECORD_FILE}).")
        path = os.path.join(directory, RECORD_FILE)
        raw = _read_json(path)
        check = _Checker(path)
        check.keys(raw, "record", required=("format", "version", "entry", "dataset", "seed", "params", "rows",
                                            "comparison", "info", "versions", "primary_metric", "timing_note",
                                            "figures", "arrays"))
        if raw["format"] != FORMAT:
            raise ValueError(f"{path}: not a run record (format {raw['format']!r}, expected {FORMAT!r}).")
        if isinstance(raw["version"], bool) or raw["version"] != VERSION:
            raise ValueError(f"{path}: record version {raw['version']!r} is not supported (this mlatlas reads "
                             f"version {VERSION}).")
        entry = check.string(raw["entry"], "entry")
        dataset = check.string(raw["dataset"], "dataset")
        seed = raw["seed"]
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"{path}: seed must be a non-negative integer; got {seed!r}.")
        params = check.mapping(raw["params"], "params")
        rows = []
        for i, row in enumerate(check.sequence(raw["rows"], "rows")):
            where = f"rows[{i}]"
            check.keys(row, where, required=("model", "metrics", "fit_time", "predict_time"))
            rows.append(ModelRow(check.string(row["model"], f"{where}.model"),
                                 check.scalars(row["metrics"], f"{where}.metrics"),
                                 check.optional_number(row["fit_time"], f"{where}.fit_time"),
                                 check.optional_number(row["predict_time"], f"{where}.predict_time")))
        comparison = check.scalars(raw["comparison"], "comparison")
        info = check.mapping(raw["info"], "info")
        versions = check.mapping(raw["versions"], "versions")
        for key, value in versions.items():
            check.string(value, f"versions[{key!r}]")
        primary = raw["primary_metric"]
        if primary is not None:
            check.string(primary, "primary_metric")
        timing_note = check.string(raw["timing_note"], "timing_note")
        figures = []
        for p in check.sequence(raw["figures"], "figures"):
            if not isinstance(p, str) or not _FIGURE.match(p):
                raise ValueError(f"{path}: figures holds {p!r}; figures are .png file names inside the "
                                 "record's folder.")
            figures.append(p)
        layout = check.mapping(raw["arrays"], "arrays")
        arrays = _read_arrays(os.path.join(directory, ARRAYS_FILE), layout, path)
        return cls(entry, dataset, seed, params, rows, comparison, arrays, info, versions, primary,
                   timing_note, figures, directory)


# ---------------------------------------------------------------------- helpers


def library_versions() -> dict:
    """Versions of Python, mlatlas and the libraries a run may use (those installed).

    Read from the installed packages' metadata: nothing is imported.
    """
    import platform
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for name in ("mlatlas", "numpy", "scipy", "scikit-learn", "matplotlib", "numba", "statsmodels", "torch"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (float, np.floating)):
        v = float(value) + 0.0  # + 0.0 turns -0.0 into 0.0
        if v != 0 and math.isfinite(v) and (abs(v) < 1e-3 or abs(v) >= 1e5):
            return f"{v:.3e}"
        return f"{v:.4f}"
    return str(value)


def _as_array(name: str, value: Any) -> np.ndarray:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"array name {name!r}: use letters, digits and '_', '.', '-' only.")
    array = np.asarray(value)
    if array.dtype.kind == "S":
        array = array.astype(str)
    if array.dtype.kind not in _KINDS:
        raise TypeError(f"array {name!r}: dtype {array.dtype} cannot be stored in a record "
                        "(numbers, booleans and text only).")
    # (np.ascontiguousarray would turn a 0-d array into a 1-d one)
    return array if array.flags.c_contiguous else np.array(array, order="C")


def _scalar(value: Any, where: str) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    raise TypeError(f"{where}: {value!r} is not a scalar (number, bool, text or None); "
                    "put arrays in RunRecord.arrays.")


def _scalars(values: dict, where: str) -> dict:
    return {str(k): _scalar(v, f"{where}[{k!r}]") for k, v in values.items()}


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if value is None or isinstance(value, str):
        return value
    return repr(value)  # anything else (a callable, an object) is kept as its description


def _read_json(path: str) -> dict:
    if not os.path.isfile(path):
        raise ValueError(f"{path}: no such file; is this the folder of a run (mlatlas run NAME --out DIR)?")
    try:
        size = os.path.getsize(path)
        if size > MAX_RECORD_BYTES:
            raise ValueError(f"{path}: {size} bytes; a run record is at most {MAX_RECORD_BYTES}.")
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8")
        raw = json.loads(text)
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the file ({exc.strerror or exc}).") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text.") from None
    except RecursionError:
        raise ValueError(f"{path}: nested too deeply to be a run record.") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}).") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a JSON object; got {type(raw).__name__}.")
    return raw


class _Checker:
    """Type checks on the parsed ``record.json``, each failing with the file and the field."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, where: str, expected: str, value: Any) -> None:
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        raise ValueError(f"{self.path}: {where} must be {expected}; got {type(value).__name__} {shown}.")

    def keys(self, value: Any, where: str, required: tuple[str, ...]) -> None:
        if not isinstance(value, dict):
            self.fail(where, "an object", value)
        missing = [k for k in required if k not in value]
        if missing:
            raise ValueError(f"{self.path}: {where} lacks {', '.join(map(repr, missing))}.")
        unknown = sorted(set(value) - set(required))
        if unknown:
            raise ValueError(f"{self.path}: {where} has unknown field(s) {', '.join(map(repr, unknown))}.")

    def string(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            self.fail(where, "a string", value)
        return value

    def mapping(self, value: Any, where: str) -> dict:
        if not isinstance(value, dict):
            self.fail(where, "an object", value)
        return value

    def sequence(self, value: Any, where: str) -> list:
        if not isinstance(value, list):
            self.fail(where, "a list", value)
        return value

    def optional_number(self, value: Any, where: str) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(where, "a number or null", value)
        return float(value)

    def scalars(self, value: Any, where: str) -> dict:
        for key, item in self.mapping(value, where).items():
            if item is not None and not isinstance(item, (str, int, float, bool)):
                self.fail(f"{where}[{key!r}]", "a number, bool, string or null", item)
        return value


def _read_arrays(path: str, layout: dict, record_path: str) -> dict:
    expected = {}
    for name, spec in layout.items():
        if not _NAME.match(name):
            raise ValueError(f"{record_path}: arrays[{name!r}]: not a valid array name.")
        if (not isinstance(spec, dict) or set(spec) != {"dtype", "shape"} or not isinstance(spec["dtype"], str)
                or not isinstance(spec["shape"], list)
                or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in spec["shape"])):
            raise ValueError(f"{record_path}: arrays[{name!r}] must be {{\"dtype\": str, \"shape\": [int, ...]}}; "
                             f"got {spec!r}.")
        expected[name] = spec
    if not os.path.isfile(path):
        raise ValueError(f"{path}: no such file; a run record keeps its arrays there.")
    arrays = {}
    try:
        with np.load(path, allow_pickle=False) as archive:
            found = set(archive.files)
            if found != set(expected):
                missing, extra = sorted(set(expected) - found), sorted(found - set(expected))
                raise ValueError(f"{path}: does not match {RECORD_FILE}"
                                 + (f"; missing {missing}" if missing else "")
                                 + (f"; unexpected {extra}" if extra else "") + ".")
            for name, spec in expected.items():
                array = archive[name]
                if array.dtype.str != spec["dtype"] or list(array.shape) != spec["shape"]:
                    raise ValueError(f"{path}: array {name!r} is {array.dtype.str} {list(array.shape)}; "
                                     f"{RECORD_FILE} says {spec['dtype']} {spec['shape']}.")
                if array.dtype.kind not in _KINDS:
                    raise ValueError(f"{path}: array {name!r} has dtype {array.dtype}, which a record never holds.")
                arrays[name] = array
    except ValueError as exc:
        if str(exc).startswith(path):
            raise
        raise ValueError(f"{path}: not a readable array archive ({exc}).") from None
    except (OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
        raise ValueError(f"{path}: not a readable array archive ({type(exc).__name__}: {exc}).") from None
    return arrays
