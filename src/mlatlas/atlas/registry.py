"""The registry: one :class:`Entry` of metadata per algorithm.

An entry says what an algorithm is (name, family, title), what it is checked against
(its references), what it runs on (datasets), what it needs installed, what can be
set (its config: our estimator class, or a dataclass of settings), how it runs
(``run(ctx) -> RunRecord``) and which figures it draws (each ``draw(record, lang)``).
The CLI, the demo and the report read only this registry and run records; algorithm
files never import it.

Entries live in ``mlatlas/atlas/families/<family>.py`` and call :func:`register` at
import time.  Those modules import no algorithm, matplotlib or scikit-learn at the
top (a run imports what it fits; a figure gets matplotlib through :mod:`mlatlas.plots`
on first use), and an estimator config is named by a string (``"module:Class"``)
resolved only when a run needs it.  So :func:`entries` and ``mlatlas list`` read
metadata only.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import numbers
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["Entry", "register", "get", "entries", "names", "TASKS"]

#: What an entry does with its data ("other": its own fixed example or simulation).
TASKS = ("classification", "regression", "clustering", "timeseries", "other")


@dataclass(frozen=True)
class Entry:
    """Metadata of one algorithm in the atlas, and how to run and draw it.

    Attributes
    ----------
    name : str
        The CLI name, e.g. ``"knn-classifier"``.
    family : str
        A group for listings ("linear", "neighbors", "trees", ...).
    title : str
        One line saying what it is.
    run : callable
        ``run(ctx: RunContext) -> RunRecord``: fits what the entry compares and records
        everything its figures need.
    config : str or type
        What ``--set`` can change: our estimator class, named ``"module:Class"`` so that
        listing imports nothing, or a dataclass of the run's settings.
    references : tuple of str
        What ours is checked against, e.g. ``("sklearn.neighbors.KNeighborsClassifier",)``.
    dataset : str
        The default dataset (a :func:`mlatlas.datasets.load` name); empty for entries
        that run on their own fixed example.
    datasets : tuple of str
        Datasets this entry accepts (the default one included).
    task : str
        One of :data:`TASKS`; ``--data FILE`` feeds classification, regression and
        clustering entries.
    params : dict
        Settings used unless ``--set`` overrides them.
    demo_params : dict
        Overrides for the quick demo run.
    figures : tuple of callables
        Each ``draw(record, lang) -> path or list of paths``; draws from the record only.
    requires : tuple of str
        Modules the run cannot do without (checked with ``importlib.util.find_spec``).
    optional : tuple of str
        Modules the run uses when present (e.g. torch for a comparison).
    primary_metric : str or None
        The metric summaries show (a key of the first row's metrics).
    """

    name: str
    family: str
    title: str
    run: Callable[..., Any]
    config: str | type
    references: tuple[str, ...] = ()
    dataset: str = ""
    datasets: tuple[str, ...] = ()
    task: str = "other"
    params: dict = field(default_factory=dict)
    demo_params: dict = field(default_factory=dict)
    figures: tuple[Callable[..., Any], ...] = ()
    requires: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    primary_metric: str | None = None

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"{self.name}: task must be one of {TASKS}; got {self.task!r}.")
        if self.dataset and self.datasets and self.dataset not in self.datasets:
            raise ValueError(f"{self.name}: the default dataset {self.dataset!r} is not in datasets.")

    # ------------------------------------------------------------------ metadata

    @property
    def reference_name(self) -> str:
        """The references as one line (for tables)."""
        return ", ".join(self.references)

    def allowed_datasets(self) -> tuple[str, ...]:
        return self.datasets or ((self.dataset,) if self.dataset else ())

    def missing(self) -> tuple[str, ...]:
        """The required modules that are not installed."""
        return tuple(m for m in self.requires if importlib.util.find_spec(m) is None)

    def missing_optional(self) -> tuple[str, ...]:
        return tuple(m for m in self.optional if importlib.util.find_spec(m) is None)

    # ------------------------------------------------------------------ config

    def config_class(self) -> type:
        """The config as a class (imports our estimator's module when named by a string)."""
        if isinstance(self.config, str):
            module, _, qualname = self.config.partition(":")
            return getattr(importlib.import_module(module), qualname)
        return self.config

    def is_dataclass_config(self) -> bool:
        return not isinstance(self.config, str) and dataclasses.is_dataclass(self.config)

    def parameter_names(self) -> list[str]:
        """What ``--set`` accepts: the estimator's ``get_params`` or the dataclass's fields."""
        cls = self.config_class()
        if dataclasses.is_dataclass(cls):
            return [f.name for f in dataclasses.fields(cls)]
        return sorted(cls(**self.params).get_params(deep=False))

    def check_params(self, params: dict) -> dict:
        """Check ``--set`` names against the config (and values against dataclass field types).

        Raises
        ------
        ValueError
            An unknown name (the message lists the allowed ones).
        TypeError
            A value of the wrong type for a dataclass field.
        """
        accepted = self.parameter_names()
        unknown = sorted(set(params) - set(accepted))
        if unknown:
            raise ValueError(f"{self.name} has no parameter {', '.join(map(repr, unknown))}; "
                             f"allowed: {', '.join(accepted)}.")
        cls = self.config_class()
        if dataclasses.is_dataclass(cls):
            kinds = {f.name: f.type for f in dataclasses.fields(cls)}
            checked = {}
            for key, value in params.items():
                checked[key] = _check_field(key, kinds[key], value)
            return checked
        return dict(params)

    def settings(self, params: dict | None = None) -> dict:
        """The entry's parameters with ``params`` on top."""
        return {**self.params, **(params or {})}


def _check_field(name: str, kind: Any, value: Any) -> Any:
    """A dataclass setting from ``--set``: ints, floats, bools and strings by their annotation."""
    kind = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
    expected = {"int": "an int", "float": "a real number", "bool": "a bool", "str": "a string"}.get(kind)
    if kind == "float" and isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    if kind == "int" and isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if kind == "bool" and isinstance(value, bool):
        return value
    if kind == "str" and isinstance(value, str):
        return value
    if expected is None:  # another annotation: left to the run to check
        return value
    raise TypeError(f"{name} must be {expected}; got {type(value).__name__} {value!r}.")


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
