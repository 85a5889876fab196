"""Dataclass configs of the generative models: declared fields, checked values, JSON round trip.

Every torch model of :mod:`mlatlas.generative` is configured by one dataclass.  Its
fields are the training ones every model shares (:class:`TrainingConfig`: ``epochs``,
``batch_size``, ``learning_rate``...) and the model's own (``latent_dim``,
``hidden_sizes``...).  A model is built from keyword
arguments named after those fields (``VAE(latent_dim=8, epochs=200)``); each field
carries, in its metadata, the kind of value it takes and its range, so one function
(:func:`check_config`) checks them all with scikit-learn's style of message, and the
command line can build its options from the same table (:func:`describe_fields`).

Nothing here needs PyTorch.

Examples
--------
>>> from dataclasses import dataclass
>>> @dataclass
... class ToyConfig(TrainingConfig):
...     width: int = param(8, "units per layer", kind="int", low=1)
>>> config = build_config(ToyConfig, {"width": 4, "epochs": 3}, owner="Toy")
>>> config.width, config.epochs
(4, 3)
>>> build_config(ToyConfig, {"widht": 4}, owner="Toy")
Traceback (most recent call last):
...
TypeError: Toy got an unexpected parameter 'widht'; its parameters are: epochs, batch_size, ...
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["TrainingConfig", "param", "build_config", "check_config", "config_to_dict", "config_from_dict",
           "describe_fields", "LR_SCHEDULES"]

LR_SCHEDULES = ("constant", "cosine", "exponential")
_DEVICE = re.compile(r"cpu|cuda|cuda:\d+|auto")


def param(default: Any, help: str, *, kind: str, low: float | None = None, high: float | None = None,
          low_inclusive: bool = True, high_inclusive: bool = True, choices: tuple | None = None,
          allow_none: bool = False, length: int | None = None) -> Any:
    """A dataclass field with its documentation and the values it accepts.

    Parameters
    ----------
    default
        Default value (immutable: tuples, not lists).
    help : str
        One line for documentation and command-line help.
    kind : {"int", "float", "bool", "choice", "int_tuple", "float_tuple", "device"}
        What the field holds; ``*_tuple`` fields take a tuple (or list) of numbers.
    low, high : float, optional
        Bounds of a number (each element of a tuple).
    low_inclusive, high_inclusive : bool
        Whether the bounds are allowed values.
    choices : tuple, optional
        The allowed strings of a ``"choice"`` field.
    allow_none : bool
        Whether ``None`` is allowed (it then means what ``help`` says).
    length : int, optional
        Exact length of a tuple field.
    """
    meta = dict(help=help, kind=kind, low=low, high=high, low_inclusive=low_inclusive,
                high_inclusive=high_inclusive, choices=choices, allow_none=allow_none, length=length)
    return dataclasses.field(default=default, metadata=meta)


@dataclass
class TrainingConfig:
    """Fields every generative model has: the optimisation and where it runs.

    Model configs subclass this one (dataclass inheritance puts these fields first).
    """

    epochs: int = param(100, "passes over the training data", kind="int", low=1)
    batch_size: int = param(64, "samples per optimisation step (the global batch when distributed)",
                            kind="int", low=1)
    learning_rate: float = param(1e-3, "Adam's step size", kind="float", low=0, low_inclusive=False)
    betas: tuple = param((0.9, 0.999), "Adam's decay rates of the first and second moments",
                         kind="float_tuple", low=0, high=1, high_inclusive=False, length=2)
    weight_decay: float = param(0.0, "L2 penalty added by Adam to the gradient", kind="float", low=0)
    lr_schedule: str = param("constant", "learning-rate schedule over the epochs (cosine: to 1% of "
                             "learning_rate at the last epoch; exponential: times lr_gamma every epoch)",
                             kind="choice", choices=LR_SCHEDULES)
    lr_gamma: float = param(0.99, "factor per epoch of the exponential schedule", kind="float", low=0,
                            high=1, low_inclusive=False)
    ema_decay: float | None = param(None, "keep an exponential moving average of the weights with this "
                                    "decay and use it for sampling and evaluation (None: no average)",
                                    kind="float", low=0, high=1, high_inclusive=False, allow_none=True)
    random_state: int | None = param(None, "seed of the weights, the shuffling and the noise "
                                     "(None: fresh entropy, recorded in checkpoints)",
                                     kind="int", low=0, allow_none=True)
    device: str = param("cpu", "'cpu', 'cuda', 'cuda:N' or 'auto' (a GPU when one is visible)", kind="device")


# Fields that may change when a run is resumed (everything else must match the checkpoint).
RESUMABLE_CHANGES = ("epochs", "device")


def _fail_kind(name: str, what: str, value: Any, error: type = TypeError):
    raise error(f"{name} must be {what}; got {type(value).__name__} {value!r}.")


def _bounds_text(meta: dict) -> str:
    parts = []
    if meta["low"] is not None:
        parts.append(f"{'>=' if meta['low_inclusive'] else '>'} {meta['low']:g}")
    if meta["high"] is not None:
        parts.append(f"{'<=' if meta['high_inclusive'] else '<'} {meta['high']:g}")
    return " and ".join(parts)


def _check_number(name: str, value: Any, meta: dict, integer: bool) -> Any:
    what = "an int" if integer else "a real number"
    bounds = _bounds_text(meta)
    full = f"{what}{' ' + bounds if bounds else ''}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral if integer else numbers.Real):
        _fail_kind(name, full, value)
    value = int(value) if integer else float(value)
    if not integer and not math.isfinite(value):
        raise ValueError(f"{name} must be a finite real number{' ' + bounds if bounds else ''}; got {value!r}.")
    low, high = meta["low"], meta["high"]
    if low is not None and (value < low or (value == low and not meta["low_inclusive"])):
        raise ValueError(f"{name} must be {full}; got {value!r}.")
    if high is not None and (value > high or (value == high and not meta["high_inclusive"])):
        raise ValueError(f"{name} must be {full}; got {value!r}.")
    return value


def check_value(name: str, value: Any, meta: dict) -> Any:
    """Check one field's value against its metadata; return it normalised (tuples, Python numbers).

    Raises
    ------
    TypeError
        For a value of the wrong type.
    ValueError
        For a value of the right type out of range, NaN or infinite, or not among the choices.
    """
    kind = meta["kind"]
    if value is None:
        if meta["allow_none"]:
            return None
        if kind != "choice":
            _fail_kind(name, f"not None ({meta['help']})", value)
    if kind in ("int", "float"):
        return _check_number(name, value, meta, integer=kind == "int")
    if kind == "bool":
        if not isinstance(value, bool):
            _fail_kind(name, "True or False", value)
        return value
    if kind == "choice":
        if not isinstance(value, str) or value not in meta["choices"]:
            allowed = ", ".join(repr(c) for c in meta["choices"])
            raise ValueError(f"{name} must be one of {allowed}; got {value!r}.")
        return value
    if kind == "device":
        if not isinstance(value, str) or not _DEVICE.fullmatch(value):
            raise ValueError(f"{name} must be 'cpu', 'cuda', 'cuda:N' or 'auto'; got {value!r}.")
        return value
    if kind in ("int_tuple", "float_tuple"):
        integer = kind == "int_tuple"
        element = "ints" if integer else "real numbers"
        if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)):
            _fail_kind(name, f"a tuple of {element}", value)
        if meta["length"] is not None and len(value) != meta["length"]:
            raise ValueError(f"{name} must be a tuple of {meta['length']} {element}; got {tuple(value)!r}.")
        return tuple(_check_number(f"each of {name}", v, meta, integer) for v in value)
    raise AssertionError(f"unknown field kind {kind!r}")  # a bug in a config declaration


def check_config(config: Any) -> Any:
    """Check (and normalise in place) every field of a config dataclass; return it."""
    for f in dataclasses.fields(config):
        setattr(config, f.name, check_value(f.name, getattr(config, f.name), f.metadata))
    return config


def build_config(config_cls: type, kwargs: dict, owner: str) -> Any:
    """Build ``config_cls(**kwargs)``, refusing unknown names and checking every value.

    Parameters
    ----------
    config_cls : dataclass type
    kwargs : dict
        Field values by name.
    owner : str
        The model's name, for messages.

    Raises
    ------
    TypeError
        For an unknown parameter name (the message lists the known ones), or a value of
        the wrong type.
    ValueError
        For a value out of range (NaN included).
    """
    names = [f.name for f in dataclasses.fields(config_cls)]
    unknown = [k for k in kwargs if k not in names]
    if unknown:
        raise TypeError(f"{owner} got an unexpected parameter {unknown[0]!r}; its parameters are: "
                        f"{', '.join(names)}.")
    return check_config(config_cls(**kwargs))


def config_to_dict(config: Any) -> dict:
    """The config as a JSON-ready dict (tuples become lists)."""
    out = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


def config_from_dict(config_cls: type, data: Any, owner: str) -> Any:
    """Rebuild a config from :func:`config_to_dict`'s output, checking every value.

    Raises
    ------
    TypeError, ValueError
        As :func:`build_config` (``data`` must be a dict of field names).
    """
    if not isinstance(data, dict):
        raise TypeError(f"{owner}'s config must be a dict of parameters; got {type(data).__name__}.")
    return build_config(config_cls, dict(data), owner)


def describe_fields(config_cls: type) -> list[dict]:
    """One dict per field: ``name``, ``default``, ``help``, ``kind``, ``choices``, ``allow_none``.

    The command line builds its ``--set`` help and checks from this table.

    Examples
    --------
    >>> [row["name"] for row in describe_fields(TrainingConfig)][:3]
    ['epochs', 'batch_size', 'learning_rate']
    """
    return [dict(name=f.name, default=f.default, help=f.metadata["help"], kind=f.metadata["kind"],
                 choices=f.metadata["choices"], allow_none=f.metadata["allow_none"])
            for f in dataclasses.fields(config_cls)]
