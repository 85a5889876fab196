"""The registry: one :class:`Entry` per algorithm.

An entry wires an algorithm to everything around it: our estimator, the reference
implementation it is checked against, the datasets it runs on, how it is scored and
which figures it draws.  The CLI, the demo and the report read only this registry;
algorithm files never import it.

Entries live in ``mlatlas/atlas/families/<family>.py`` and call :func:`register` at
import time; :func:`entries` imports every module there on first use.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["Entry", "register", "get", "entries", "names"]


@dataclass(frozen=True)
class Entry:
    """Everything the CLI needs to run, compare and draw one algorithm.

    Attributes
    ----------
    name : str
        The CLI name, e.g. ``"linear-regression"``.
    family : str
        A group for listings ("linear", "neighbors", "trees", ...).
    title : str
        One line saying what it is.
    estimator : callable
        ``estimator(**params)`` builds our (unfitted) estimator.
    reference : callable or None
        ``reference(params)`` builds the reference estimator from the same parameter
        dict (it maps the names it understands); ``None`` where there is none.
    reference_name : str
        What the reference is, e.g. ``"sklearn.linear_model.LinearRegression"``.
    dataset : str
        Default dataset (a :func:`mlatlas.datasets.load` name).
    datasets : tuple of str
        Datasets this entry accepts.
    task : str
        "classification", "regression", "clustering", "timeseries" or "other".
    params : dict
        Parameters used unless ``--set`` overrides them.
    demo_params : dict
        Overrides for the quick demo run.
    dataset_options : dict
        Options passed to the dataset loader (per dataset name).
    preprocess : str or None
        "standardize" to z-score features (fitted on the training split) before fitting.
    split : bool
        Hold out a test split (supervised) or fit on everything (clustering).
    metrics : callable or None
        ``metrics(estimator, X, y) -> dict`` overriding the task's default metrics.
    primary_metric : str or None
        The metric shown in summaries (defaults by task).
    figures : tuple of callables
        Each takes a :class:`mlatlas.atlas.runner.FigureContext` and returns the
        path(s) it wrote.
    runner : callable or None
        ``runner(entry, context) -> RunResult`` for entries that do not fit the
        fit/predict mould (time series, the worked example...).
    """

    name: str
    family: str
    title: str
    estimator: Callable[..., Any] | None
    reference: Callable[[dict], Any] | None = None
    reference_name: str = ""
    dataset: str = ""
    datasets: tuple[str, ...] = ()
    task: str = "classification"
    params: dict = field(default_factory=dict)
    demo_params: dict = field(default_factory=dict)
    dataset_options: dict = field(default_factory=dict)
    preprocess: str | None = None
    split: bool = True
    test_size: float = 0.25
    metrics: Callable[..., dict] | None = None
    primary_metric: str | None = None
    figures: tuple[Callable[..., Any], ...] = ()
    runner: Callable[..., Any] | None = None

    def allowed_datasets(self) -> tuple[str, ...]:
        return self.datasets or ((self.dataset,) if self.dataset else ())


_REGISTRY: dict[str, Entry] = {}
_LOADED = False


def register(entry: Entry) -> Entry:
    """Add an entry; names are unique."""
    if entry.name in _REGISTRY and _REGISTRY[entry.name] is not entry:
        raise ValueError(f"an atlas entry named {entry.name!r} is already registered.")
    _REGISTRY[entry.name] = entry
    return entry


def _load_all() -> None:
    global _LOADED
    if _LOADED:
        return
    package = importlib.import_module(f"{__package__}.families")

    for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not module.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{module.name}")
    _LOADED = True


def entries() -> list[Entry]:
    """All entries, grouped by family then name."""
    _load_all()
    return sorted(_REGISTRY.values(), key=lambda e: (e.family, e.name))


def names() -> list[str]:
    return [e.name for e in entries()]


def get(name: str) -> Entry:
    """The entry called ``name``; a ValueError lists the known names otherwise."""
    _load_all()
    if name not in _REGISTRY:
        raise ValueError(f"unknown algorithm {name!r}; known: {', '.join(names())}.")
    return _REGISTRY[name]
