"""Run one registry entry: fit ours and the reference on the same split, score, draw.

This is what ``mlatlas run NAME`` and ``mlatlas demo`` call.
"""

from __future__ import annotations

import json
import numbers
import os
import time
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .. import datasets as ds
from .registry import Entry

__all__ = ["FigureContext", "RunResult", "ModelRow", "run_entry", "standard_run", "default_metrics",
           "primary_metric", "load_dataset", "timed", "with_seed", "warm_up", "check_user_data",
           "DATA_TASKS", "TIMING_NOTE"]

#: The entries that ``--data FILE`` can feed: supervised and clustering ones.
DATA_TASKS = ("classification", "regression", "clustering")

#: Rows of the training data a model is warmed up on before it is timed.
WARM_UP_ROWS = 64

TIMING_NOTE = (f"times: each model was first fitted and used once, untimed, on at most {WARM_UP_ROWS} training rows, "
               "so they exclude one-off costs (numba compilation and cache loading, lazy imports).")


@dataclass
class ModelRow:
    """One model's line in the comparison table."""

    model: str
    metrics: dict
    fit_time: float | None = None
    predict_time: float | None = None


@dataclass
class RunResult:
    """What a run produced: one row per model, cross-checks, figures written."""

    entry: str
    dataset: str
    params: dict
    seed: int
    rows: list[ModelRow]
    comparison: dict = field(default_factory=dict)
    figures: list[str] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    timing_note: str = TIMING_NOTE

    def to_dict(self) -> dict:
        return _jsonable(asdict(self))

    def write_json(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(self.to_dict(), handle, indent=2)

    def table(self) -> str:
        """The side-by-side table printed by the CLI: metrics as rows, models as columns."""
        keys: list[str] = []
        for row in self.rows:
            for key, value in row.metrics.items():
                if key not in keys and np.ndim(value) == 0:
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
        timed_rows = any(row.fit_time is not None or row.predict_time is not None for row in self.rows)
        if timed_rows and self.timing_note:
            out.append(self.timing_note)
        return "\n".join(out)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, (float, np.floating)):
        v = float(value) + 0.0  # + 0.0 turns -0.0 into 0.0
        if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e5):
            return f"{v:.3e}"
        return f"{v:.4f}"
    return str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    return value


@dataclass
class FigureContext:
    """What a figure function gets: the entry, the data split and both fitted models."""

    entry: Entry
    dataset: ds.Dataset | None
    params: dict
    seed: int
    out_dir: str
    X_train: np.ndarray | None = None
    X_test: np.ndarray | None = None
    y_train: np.ndarray | None = None
    y_test: np.ndarray | None = None
    ours: Any = None
    reference: Any = None
    extra: dict = field(default_factory=dict)

    def path(self, stem: str) -> str:
        """Where to write figure ``stem`` (a PNG in the output folder)."""
        os.makedirs(self.out_dir, exist_ok=True)
        return os.path.join(self.out_dir, f"{stem}.png")

    def estimator(self, **overrides: Any) -> Any:
        """A fresh estimator of ours with the run's parameters and ``overrides``."""
        return self.entry.estimator(**{**self.params, **overrides})


def default_metrics(task: str, estimator: Any, X: np.ndarray, y: np.ndarray | None) -> dict:
    """Accuracy, macro F1 and the confusion matrix, or R^2, MSE and MAE."""
    from sklearn import metrics as skm

    if task == "classification":
        pred = estimator.predict(X)
        return {
            "accuracy": float(skm.accuracy_score(y, pred)),
            "f1_macro": float(skm.f1_score(y, pred, average="macro")),
            "confusion_matrix": skm.confusion_matrix(y, pred).tolist(),
        }
    if task == "regression":
        pred = estimator.predict(X)
        return {
            "r2": float(skm.r2_score(y, pred)),
            "mse": float(skm.mean_squared_error(y, pred)),
            "mae": float(skm.mean_absolute_error(y, pred)),
        }
    if task == "clustering":
        labels = estimator.predict(X)
        result: dict = {}
        if y is not None:
            result["adjusted_rand"] = float(skm.adjusted_rand_score(y, labels))
        if len(np.unique(labels)) > 1:
            result["silhouette"] = float(skm.silhouette_score(X, labels))
        return result
    raise ValueError(f"no default metrics for task {task!r}; give the entry a metrics function.")


PRIMARY = {"classification": "accuracy", "regression": "r2", "clustering": "adjusted_rand"}


def primary_metric(entry: Entry) -> str | None:
    return entry.primary_metric or PRIMARY.get(entry.task)


def check_user_data(entry: Entry, data: ds.Dataset) -> ds.Dataset:
    """Check that a user's dataset (``--data FILE``) suits ``entry``; return it typed for it.

    Classification needs class labels (text or integers), regression a numeric target,
    clustering only features (a label column, when given, scores the clusters).

    Raises
    ------
    ValueError
        Naming the file and what does not fit.
    """
    if entry.task not in DATA_TASKS:
        raise ValueError(f"{entry.name} is a {entry.task} entry; user data runs {', '.join(DATA_TASKS)} "
                         "entries only.")
    where = data.name
    if data.X.ndim != 2 or data.X.shape[1] == 0:
        raise ValueError(f"{where}: no feature columns (X has shape {data.X.shape}).")
    if data.X.shape[0] < 2:
        raise ValueError(f"{where}: {data.X.shape[0]} data row(s); a run needs at least 2.")
    y = data.y
    if entry.task == "clustering":
        if y is not None and y.dtype.kind == "f" and not np.all(np.isfinite(y)):
            raise ValueError(f"{where}: the label column holds missing or non-finite values.")
        return ds.Dataset(data.name, data.X, y, "clustering", data.feature_names, data.target_names,
                          data.description, data.images)
    if y is None:
        raise ValueError(f"{where}: no target column; {entry.name} ({entry.task}) needs one "
                         "(a CSV's last column by default, or --target COLUMN; array 'y' in an .npz).")
    if entry.task == "classification":
        if y.dtype.kind == "f":
            if not np.all(np.isfinite(y)):
                raise ValueError(f"{where}: the target column holds missing or non-finite values.")
            if not np.array_equal(y, np.round(y)):
                example = y[np.flatnonzero(y != np.round(y))[0]]
                raise ValueError(f"{where}: {entry.name} needs class labels, but the target holds non-integer "
                                 f"numbers (e.g. {example!r}); choose a label column with --target or a "
                                 "regression entry.")
            y = y.astype(int)
        names = data.target_names or [str(c) for c in np.unique(y)]
        return ds.Dataset(data.name, data.X, y, "classification", data.feature_names, names,
                          data.description, data.images)
    # regression
    if y.dtype.kind not in "iuf":
        example = y[0]
        raise ValueError(f"{where}: {entry.name} needs a numeric target, but it holds text (e.g. {str(example)!r}); "
                         "choose a numeric column with --target or a classification entry.")
    y = y.astype(float)
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{where}: the target column holds missing or non-finite values.")
    return ds.Dataset(data.name, data.X, y, "regression", data.feature_names, None,
                      data.description, data.images)


def load_dataset(entry: Entry, name: str | None, seed: int) -> ds.Dataset | None:
    """The run's data: ``name`` (checked against the entry's list) or the entry's default.

    Entries with no dataset at all (the worked example) get ``None``; naming one for
    them is an error.
    """
    if name and not entry.allowed_datasets():
        raise ValueError(f"{entry.name} takes no dataset (it runs on its own fixed example); got {name!r}.")
    name = name or entry.dataset
    if not name:
        if entry.runner is None:
            raise ValueError(f"{entry.name} has no dataset to run on.")
        return None
    allowed = entry.allowed_datasets()
    if allowed and name not in allowed:
        raise ValueError(
            f"{entry.name} does not run on dataset {name!r}; allowed: {', '.join(allowed)}."
        )
    options = dict(entry.dataset_options.get(name, {}))
    if name in ("moons", "circles", "blobs", "spirals", "linear", "ar"):
        options.setdefault("random_state", seed)
    return ds.load(name, **options)


def timed(fn, *args, **kwargs):
    """Call ``fn`` and return ``(its result, wall seconds)``."""
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def warm_up(make: Any, X: np.ndarray, y: np.ndarray | None = None, *, method: str = "predict",
            rows: int = WARM_UP_ROWS) -> bool:
    """Fit a fresh model on a few rows of ``X`` and call ``method`` once, untimed.

    One-off costs (numba compiling a kernel or loading it from its disk cache, lazy
    imports, thread pools starting) then land here rather than in whichever timed call
    comes first.  The rows hold every class of ``y`` when there are labels.  A failure
    is ignored (it may come from the small slice, e.g. more neighbours than rows); the
    timed run raises any real error.  Returns whether the warm-up ran.
    """
    n = X.shape[0]
    if n > rows:
        index = np.arange(rows)
        if y is not None:
            _, first = np.unique(y, return_index=True)
            index = np.union1d(first, index)
        X = X[index]
        y = None if y is None else y[index]
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


def check_seed(seed: Any) -> int:
    """The run's seed: an integer in [0, 2**32 - 1] (what numpy and scikit-learn accept)."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed <= 2**32 - 1:
        raise ValueError(f"seed must be an integer in [0, 2**32 - 1]; got {seed!r}.")
    return int(seed)


def run_entry(entry: Entry, *, dataset: str | None = None, data: ds.Dataset | None = None,
              params: dict | None = None, seed: int = 0, out_dir: str | None = None,
              figures: bool = True) -> RunResult:
    """Fit ours and the reference on the same data and report both.

    Parameters
    ----------
    entry : Entry
    dataset : str, optional
        Overrides the entry's default dataset (must be one it allows).
    data : Dataset, optional
        The user's own data (``--data FILE``), checked by :func:`check_user_data`;
        replaces ``dataset``.
    params : dict, optional
        Overrides the entry's parameters (``--set`` on the CLI).
    seed : int
        Seeds the split, generated data and the estimators' ``random_state`` where
        they have one.
    out_dir : str, optional
        Where ``metrics.json`` and figures go; nothing is written when ``None``.
    figures : bool
        Draw the entry's figures (needs ``out_dir``).
    """
    seed = check_seed(seed)
    merged = {**entry.params, **(params or {})}
    if data is not None:
        if dataset is not None:
            raise ValueError("give dataset or data, not both.")
        data = check_user_data(entry, data)
    else:
        data = load_dataset(entry, dataset, seed)
    context = FigureContext(entry=entry, dataset=data, params=merged, seed=seed,
                            out_dir=out_dir or ".")
    if entry.runner is not None:
        result = entry.runner(entry, context)
    else:
        result = standard_run(entry, data, merged, seed, context)
    if out_dir is not None:
        os.makedirs(out_dir, exist_ok=True)
        if figures:
            for draw in entry.figures:
                written = draw(context)
                if written:
                    result.figures.extend([written] if isinstance(written, str) else list(written))
        result.write_json(os.path.join(out_dir, "metrics.json"))
    return result


def with_seed(estimator: Any, seed: int) -> Any:
    """Give an estimator whose ``random_state`` is None the run's seed."""
    if hasattr(estimator, "get_params") and "random_state" in estimator.get_params(deep=False):
        if estimator.get_params(deep=False)["random_state"] is None:
            estimator.set_params(random_state=seed)
    return estimator


def standard_run(entry: Entry, data: ds.Dataset, params: dict, seed: int,
                  context: FigureContext) -> RunResult:
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = data.X, data.y
    if entry.split:
        stratify = y if entry.task == "classification" else None
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=entry.test_size, random_state=seed, stratify=stratify)
    else:
        X_train, X_test, y_train, y_test = X, X, y, y
    if entry.preprocess == "standardize":
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    context.X_train, context.X_test, context.y_train, context.y_test = X_train, X_test, y_train, y_test

    def score(estimator):
        if entry.metrics is not None:
            return entry.metrics(estimator, X_test, y_test)
        return default_metrics(entry.task, estimator, X_test, y_test)

    rows = []
    warm_up(lambda: with_seed(entry.estimator(**params), seed), X_train, y_train)
    ours = with_seed(entry.estimator(**params), seed)
    _, fit_time = timed(ours.fit, X_train, y_train)
    pred_ours, predict_time = timed(ours.predict, X_test)
    rows.append(ModelRow("mlatlas", score(ours), fit_time, predict_time))
    context.ours = ours

    comparison: dict = {}
    if entry.reference is not None:
        warm_up(lambda: with_seed(entry.reference(params), seed), X_train, y_train)
        ref = with_seed(entry.reference(params), seed)
        _, ref_fit = timed(ref.fit, X_train, y_train)
        pred_ref, ref_predict = timed(ref.predict, X_test)
        rows.append(ModelRow(entry.reference_name or type(ref).__name__, score(ref), ref_fit, ref_predict))
        context.reference = ref
        if entry.task == "classification":
            comparison["prediction_agreement"] = float(np.mean(np.asarray(pred_ours) == np.asarray(pred_ref)))
        elif entry.task == "clustering":
            from sklearn.metrics import adjusted_rand_score

            # cluster numbers are arbitrary: compare the two partitions, not the raw labels
            comparison["adjusted_rand_ours_vs_reference"] = float(adjusted_rand_score(pred_ours, pred_ref))
        elif entry.task == "regression":
            comparison["max_prediction_difference"] = float(np.max(np.abs(pred_ours - pred_ref)))
    return RunResult(entry.name, data.name, params, seed, rows, comparison)
