"""Run one registry entry into a :class:`~mlatlas.atlas.record.RunRecord`, then draw it.

The path of ``mlatlas run NAME --out DIR``:

1. :func:`run_entry` loads the data (:func:`load_dataset`, or the user's file checked
   by :func:`check_user_data`), merges the parameters and builds a :class:`RunContext`;
2. the entry's ``run(ctx)`` fits what it compares (classical entries call
   :func:`compare_on_split`) and returns a record with every array its figures need;
3. the record is saved to ``DIR/record.json`` + ``DIR/arrays.npz`` and read back;
4. :func:`draw_record` draws each figure from that loaded record, in each language.

``mlatlas draw DIR`` is steps 3-4 alone, so it gives the same images.  Times in a
record exclude one-off costs: every timed model is first fitted and used once,
untimed, on a few rows (:func:`mlatlas._parallel.warm_up`, the one warm-up of the package).
"""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from .._parallel import WARM_UP_ROWS, warm_up
from .record import ModelRow, RunRecord, library_versions
from .registry import Entry

__all__ = ["RunContext", "SplitFit", "compare_on_split", "run_entry", "draw_record", "default_metrics",
           "load_dataset", "check_user_data", "check_seed", "warm_up", "timed", "fit_and_time",
           "with_seed", "decision_grid", "principal_plane", "DATA_TASKS", "TIMING_NOTE", "WARM_UP_ROWS",
           "LANGUAGES"]

#: The entries that ``--data FILE`` can feed: supervised and clustering ones.
DATA_TASKS = ("classification", "regression", "clustering")

#: Figure languages.
LANGUAGES = ("en", "zh")

TIMING_NOTE = (f"times: each model was first fitted and used once, untimed, on at most {WARM_UP_ROWS} "
               "training rows, so they exclude one-off costs (numba compilation and cache loading, "
               "lazy imports).")

#: Generated datasets draw their sample from the run's seed.
_GENERATED = ("moons", "circles", "blobs", "spirals", "linear", "ar")


# ---------------------------------------------------------------------- context


@dataclass
class RunContext:
    """What an entry's ``run`` gets: the entry, its data, parameters and seed.

    Attributes
    ----------
    entry : Entry
    data : Dataset or None
        None for entries that run on their own fixed example.
    params : dict
        The entry's parameters with ``--set`` (or the demo's) on top.
    seed : int
        Seeds the split, generated data and estimators whose ``random_state`` is None.
    """

    entry: Entry
    data: Any
    params: dict
    seed: int

    def estimator(self, **overrides: Any) -> Any:
        """A fresh estimator of ours (the entry's config class) with the run's parameters."""
        return self.entry.config_class()(**{**self.params, **overrides})

    @property
    def config(self) -> Any:
        """The run's settings as the entry's dataclass config."""
        return self.entry.config_class()(**self.params)

    def record(self, rows: list[ModelRow], **fields: Any) -> RunRecord:
        """A record of this run (entry, dataset, seed, parameters, versions filled in)."""
        params = fields.pop("params", self.params)
        dataset = fields.pop("dataset", self.data.name if self.data is not None else "")
        return RunRecord(entry=self.entry.name, dataset=dataset, seed=self.seed, params=dict(params),
                         rows=rows, versions=library_versions(), primary_metric=self.entry.primary_metric,
                         timing_note=TIMING_NOTE, **fields)


# ---------------------------------------------------------------------- data


def check_seed(seed: Any) -> int:
    """The run's seed: an integer in [0, 2**32 - 1] (what numpy and scikit-learn accept)."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed <= 2**32 - 1:
        raise ValueError(f"seed must be an integer in [0, 2**32 - 1]; got {seed!r}.")
    return int(seed)


def load_dataset(entry: Entry, name: str | None, seed: int):
    """The run's data: ``name`` (checked against the entry's list) or the entry's default.

    Entries with no dataset at all (the worked example) get ``None``; naming one for
    them is an error.
    """
    from .. import datasets as ds

    allowed = entry.allowed_datasets()
    if name and not allowed:
        raise ValueError(f"{entry.name} takes no dataset (it runs on its own fixed example); got {name!r}.")
    name = name or entry.dataset
    if not name:
        return None
    if name not in allowed:
        raise ValueError(f"{entry.name} does not run on dataset {name!r}; allowed: {', '.join(allowed)}.")
    options = {"random_state": seed} if name in _GENERATED else {}
    return ds.load(name, **options)


def check_user_data(entry: Entry, data):
    """Check that a user's dataset (``--data FILE``) suits ``entry``; return it typed for it.

    Classification needs class labels (text or integers), regression a numeric target,
    clustering only features (a label column, when given, scores the clusters).

    Raises
    ------
    ValueError
        Naming the file and what does not fit.
    """
    from .. import datasets as ds

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
    if y.dtype.kind not in "iuf":
        raise ValueError(f"{where}: {entry.name} needs a numeric target, but it holds text (e.g. {str(y[0])!r}); "
                         "choose a numeric column with --target or a classification entry.")
    y = y.astype(float)
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{where}: the target column holds missing or non-finite values.")
    return ds.Dataset(data.name, data.X, y, "regression", data.feature_names, None, data.description, data.images)


# ---------------------------------------------------------------------- timing


def timed(fn: Callable, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """Call ``fn`` and return ``(its result, wall seconds)``."""
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def with_seed(estimator: Any, seed: int) -> Any:
    """Give an estimator whose ``random_state`` is None the run's seed."""
    if hasattr(estimator, "get_params") and "random_state" in estimator.get_params(deep=False):
        if estimator.get_params(deep=False)["random_state"] is None:
            estimator.set_params(random_state=seed)
    return estimator


def fit_and_time(make: Callable[[], Any], X_fit: np.ndarray, y_fit: np.ndarray | None = None,
                 X_eval: np.ndarray | None = None, *, method: str = "predict") -> tuple[Any, Any, float, float]:
    """Warm up (:func:`mlatlas._parallel.warm_up`), then fit ``make()`` on ``X_fit`` and call
    ``method`` on ``X_eval``, both timed.

    Returns ``(model, output of method, fit seconds, method seconds)``.
    """
    warm_up(make, X_fit, y_fit, method=method)
    model = make()
    if y_fit is None:
        _, fit_time = timed(model.fit, X_fit)
    else:
        _, fit_time = timed(model.fit, X_fit, y_fit)
    output, predict_time = timed(getattr(model, method), X_fit if X_eval is None else X_eval)
    return model, output, fit_time, predict_time


# ---------------------------------------------------------------------- compare on a split


def default_metrics(task: str, estimator: Any, X: np.ndarray, y: np.ndarray | None,
                    prediction: np.ndarray | None = None) -> dict:
    """Accuracy and macro F1, or R^2, MSE and MAE, or the adjusted Rand index and silhouette."""
    from sklearn import metrics as skm

    pred = estimator.predict(X) if prediction is None else prediction
    if task == "classification":
        return {"accuracy": float(skm.accuracy_score(y, pred)),
                "f1_macro": float(skm.f1_score(y, pred, average="macro"))}
    if task == "regression":
        return {"r2": float(skm.r2_score(y, pred)), "mse": float(skm.mean_squared_error(y, pred)),
                "mae": float(skm.mean_absolute_error(y, pred))}
    if task == "clustering":
        result: dict = {}
        if y is not None:
            result["adjusted_rand"] = float(skm.adjusted_rand_score(y, pred))
        if len(np.unique(pred)) > 1:
            result["silhouette"] = float(skm.silhouette_score(X, pred))
        return result
    raise ValueError(f"no default metrics for task {task!r}; give compare_on_split a metrics function.")


@dataclass
class SplitFit:
    """The split and both fitted models of :func:`compare_on_split`."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray | None
    y_test: np.ndarray | None
    ours: Any
    reference: Any
    pred_ours: np.ndarray
    pred_reference: np.ndarray


def compare_on_split(ctx: RunContext, reference: Any, *, reference_name: str | None = None,
                     preprocess: str | Callable | None = None, split: bool = True, test_size: float = 0.25,
                     X: np.ndarray | None = None, y: np.ndarray | None = None,
                     metrics: Callable[..., dict] | None = None) -> tuple[RunRecord, SplitFit]:
    """Fit ours and ``reference`` on the same split of the run's data; score and compare them.

    Parameters
    ----------
    ctx : RunContext
    reference : estimator
        The reference, unfitted (a fresh clone is warmed up first).
    reference_name : str, optional
        Its column in the table (default: the entry's first reference).
    preprocess : "standardize" or callable, optional
        ``"standardize"`` z-scores the features with the training split's mean and
        deviation; a function ``f(X_train, X_test) -> (X_train, X_test)`` transforms
        them otherwise (learning what it needs from ``X_train`` only).
    split : bool
        Hold out ``test_size`` of the rows (stratified for classification); False fits
        and scores on all rows (clustering).
    X, y : arrays, optional
        Data to use instead of the run's dataset (e.g. discretised features).
    metrics : callable, optional
        ``metrics(estimator, X_test, y_test) -> dict`` of scalars instead of the task's.

    Returns
    -------
    record : RunRecord
        Rows for ours and the reference, the comparison (prediction agreement,
        adjusted Rand of the two partitions, or largest prediction difference), the
        test confusion matrices of classifiers as arrays ``confusion.mlatlas`` and
        ``confusion.reference``, feature and class names in ``info``.
    fit : SplitFit
        The split and both fitted models, for the entry to record more.
    """
    from sklearn.base import clone
    from sklearn.metrics import adjusted_rand_score, confusion_matrix

    task = ctx.entry.task
    X = ctx.data.X if X is None else X
    y = ctx.data.y if y is None else y
    if split:
        from sklearn.model_selection import train_test_split

        stratify = y if task == "classification" else None
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, random_state=ctx.seed,
                                                            stratify=stratify)
    else:
        X_train, X_test, y_train, y_test = X, X, y, y
    if preprocess == "standardize":
        from sklearn.preprocessing import StandardScaler

        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    elif callable(preprocess):
        X_train, X_test = preprocess(X_train, X_test)
    elif preprocess is not None:
        raise ValueError(f"preprocess must be 'standardize', a function or None; got {preprocess!r}.")
    y_fit = None if task == "clustering" else y_train

    def score(model: Any, prediction: np.ndarray) -> dict:
        if metrics is not None:
            return metrics(model, X_test, y_test)
        return default_metrics(task, model, X_test, y_test, prediction)

    ours_model = with_seed(ctx.estimator(), ctx.seed)
    ref_model = with_seed(reference, ctx.seed)
    ours, pred_ours, fit_ours, predict_ours = fit_and_time(lambda: clone(ours_model), X_train, y_fit, X_test)
    ref, pred_ref, fit_ref, predict_ref = fit_and_time(lambda: clone(ref_model), X_train, y_fit, X_test)
    name = reference_name or (ctx.entry.references[0] if ctx.entry.references else type(ref).__name__)
    rows = [ModelRow("mlatlas", score(ours, pred_ours), fit_ours, predict_ours),
            ModelRow(name, score(ref, pred_ref), fit_ref, predict_ref)]
    record = ctx.record(rows, params=ours.get_params(deep=False))
    pred_ours, pred_ref = np.asarray(pred_ours), np.asarray(pred_ref)
    if task == "classification":
        record.comparison["prediction_agreement"] = float(np.mean(pred_ours == pred_ref))
        labels = np.unique(np.concatenate([np.asarray(y_train), np.asarray(y_test)]))
        record.add("confusion", mlatlas=confusion_matrix(y_test, pred_ours, labels=labels),
                   reference=confusion_matrix(y_test, pred_ref, labels=labels))
        record.info["classes"] = [str(c) for c in labels]
    elif task == "clustering":
        # cluster numbers are arbitrary: compare the two partitions, not the raw labels
        record.comparison["adjusted_rand_ours_vs_reference"] = float(adjusted_rand_score(pred_ref, pred_ours))
    elif task == "regression":
        record.comparison["max_prediction_difference"] = float(np.max(np.abs(pred_ours - pred_ref)))
    record.info["feature_names"] = [str(n) for n in ctx.data.feature_names] if ctx.data is not None else []
    return record, SplitFit(X_train, X_test, y_train, y_test, ours, ref, pred_ours, pred_ref)


# ---------------------------------------------------------------------- geometry for figures


def decision_grid(X: np.ndarray, resolution: int = 150, margin: float = 0.5
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A grid over the first two columns of ``X``: ``(xs (m,), ys (m,), points (m*m, 2))``.

    Runs evaluate their models on ``points`` and record the values; figures shade them.
    """
    xs = np.linspace(X[:, 0].min() - margin, X[:, 0].max() + margin, resolution)
    ys = np.linspace(X[:, 1].min() - margin, X[:, 1].max() + margin, resolution)
    xx, yy = np.meshgrid(xs, ys)
    return xs, ys, np.column_stack([xx.ravel(), yy.ravel()])  # (resolution^2, 2)


def principal_plane(X: np.ndarray) -> tuple[np.ndarray, bool]:
    """``X`` itself when 2-D, else its projection on the first two principal axes.

    Returns ``(points (n, 2), projected)``.
    """
    if X.shape[1] == 2:
        return np.asarray(X, dtype=float), False
    centred = X - X.mean(axis=0)
    # principal axes from the SVD of the centred data: X = U S V^T
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:2].T, True  # (n, d) @ (d, 2) -> (n, 2)


# ---------------------------------------------------------------------- run and draw


def run_entry(entry: Entry, *, dataset: str | None = None, data: Any = None, params: dict | None = None,
              seed: int = 0, out_dir: str | None = None, figures: bool = True,
              langs: Sequence[str] = ("en",)) -> RunRecord:
    """Run ``entry`` into a record; save it and draw its figures from the saved record.

    Parameters
    ----------
    entry : Entry
    dataset : str, optional
        Overrides the entry's default dataset (must be one it allows).
    data : Dataset, optional
        The user's own data (``--data FILE``), checked by :func:`check_user_data`;
        replaces ``dataset``.
    params : dict, optional
        Overrides the entry's parameters (``--set`` on the CLI), checked against its config.
    seed : int
        Seeds the split, generated data and the estimators' ``random_state`` where
        they have none.
    out_dir : str, optional
        Where the record and figures go; nothing is written when ``None``.
    figures : bool
        Draw the entry's figures (needs ``out_dir``).
    langs : sequence of {"en", "zh"}
        The languages to draw the figures in.

    Returns
    -------
    RunRecord
        The saved and reloaded record when ``out_dir`` is given, else the record in memory.
    """
    seed = check_seed(seed)
    missing = entry.missing()
    if missing:
        raise ValueError(f"{entry.name} needs {', '.join(missing)}, which is not installed "
                         f"(pip install {' '.join(missing)}).")
    overrides = entry.check_params(dict(params or {}))
    if data is not None:
        if dataset is not None:
            raise ValueError("give dataset or data, not both.")
        data = check_user_data(entry, data)
    else:
        data = load_dataset(entry, dataset, seed)
    ctx = RunContext(entry=entry, data=data, params=entry.settings(overrides), seed=seed)
    record = entry.run(ctx)
    if out_dir is None:
        return record
    record.save(out_dir)
    record = RunRecord.load(out_dir)
    if figures:
        draw_record(record, langs)
    return record


def draw_record(record: RunRecord, langs: Sequence[str] = ("en",), entry: Entry | None = None) -> list[str]:
    """Draw the figures of ``record`` (saved or loaded) in each language; list them in the record.

    Figures are written next to the record (``stem.png``, ``stem.zh.png``) and
    ``record.json`` is rewritten with their names (those of other languages kept).
    Returns the paths written.
    """
    import os

    from .. import plots
    from .record import figure_language
    from .registry import get

    entry = entry or get(record.entry)
    written: list[str] = []
    for lang in langs:
        if lang not in LANGUAGES:
            raise ValueError(f"lang must be one of {LANGUAGES}; got {lang!r}.")
        paths: list[str] = []
        for draw in entry.figures:
            with plots.language(lang):
                out = draw(record, lang)
            paths.extend([out] if isinstance(out, str) else list(out))
        names = [os.path.relpath(p, record.directory) for p in paths]
        record.figures = [name for name in record.figures if figure_language(name) != lang] + names
        written.extend(paths)
    record.save_json()
    return written
