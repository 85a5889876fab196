"""Save and load fitted estimators without pickle.

A saved model is one ``.npz`` archive.  Its entry ``__header__`` is a JSON document
(format name and version, the class, its constructor parameters and the fitted state);
every NumPy array of the state is stored as its own ``.npz`` entry and referenced from
the JSON by key.  Loading never executes code from the file: it only rebuilds classes
that live inside the ``mlatlas`` package, from plain numbers, strings, lists and arrays.

Writes are atomic: the archive is written to a temporary file in the same folder and
renamed over the target only once complete, so an interrupted save never leaves a
half-written model behind.

Examples
--------
>>> import numpy as np, tempfile, os
>>> from mlatlas.supervised import LinearRegression
>>> model = LinearRegression().fit(np.arange(10.0).reshape(-1, 1), 2 * np.arange(10.0) + 1)
>>> path = os.path.join(tempfile.mkdtemp(), "line.npz")
>>> save_model(model, path)
>>> float(load_model(path).predict([[20.0]])[0])  # doctest: +ELLIPSIS
41.0...
"""

from __future__ import annotations

import importlib
import json
import os
import tempfile
from typing import Any

import numpy as np

from .base import History

__all__ = ["save_model", "load_model", "FORMAT", "FORMAT_VERSION"]

FORMAT = "mlatlas-model"
FORMAT_VERSION = 1
_PACKAGE = "mlatlas"


class _Encoder:
    """Turn a Python object graph into JSON plus a dict of arrays."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def _array(self, value: np.ndarray) -> dict:
        if value.dtype.kind == "O" or value.dtype.kind == "U":
            # Object/str arrays (class labels such as "yes"/"no") go into the JSON.
            return {"__ndarray_list__": self.encode(value.tolist()), "dtype": value.dtype.kind,
                    "shape": list(value.shape)}
        key = f"a{len(self.arrays)}"
        self.arrays[key] = value
        return {"__ndarray__": key}

    def encode(self, value: Any) -> Any:
        from sklearn.base import BaseEstimator

        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
            return int(value)
        if isinstance(value, (float, np.floating)):
            f = float(value)
            if np.isfinite(f):
                return f
            return {"__float__": repr(f)}
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, np.ndarray):
            return self._array(value)
        if isinstance(value, History):
            return {"__history__": [self.encode(v) for v in value]}
        if isinstance(value, tuple):
            return {"__tuple__": [self.encode(v) for v in value]}
        if isinstance(value, list):
            return [self.encode(v) for v in value]
        if isinstance(value, dict):
            if all(isinstance(k, str) for k in value):
                return {"__dict__": {k: self.encode(v) for k, v in value.items()}}
            return {"__items__": [[self.encode(k), self.encode(v)] for k, v in value.items()]}
        if isinstance(value, np.random.Generator):
            return None  # a fitted model never needs its generator to predict
        if isinstance(value, BaseEstimator) or hasattr(value, "__mlatlas_state__"):
            return self.encode_object(value)
        raise TypeError(
            f"cannot save a value of type {type(value).__module__}.{type(value).__name__}; "
            "only numbers, strings, lists, dicts, NumPy arrays and mlatlas objects are saved."
        )

    def encode_object(self, obj: Any) -> dict:
        cls = type(obj)
        if not cls.__module__.split(".")[0] == _PACKAGE:
            raise TypeError(
                f"save_model only saves mlatlas objects; got {cls.__module__}.{cls.__name__}."
            )
        if hasattr(obj, "__mlatlas_state__"):
            params, state = obj.__mlatlas_state__()
        else:
            params = obj.get_params(deep=False)
            state = {k: v for k, v in vars(obj).items() if k.endswith("_") and not k.startswith("__")}
        return {
            "__object__": f"{cls.__module__}:{cls.__qualname__}",
            "params": self.encode(params),
            "state": self.encode(state),
        }


class _Decoder:
    def __init__(self, arrays: Any, path: str) -> None:
        self.arrays = arrays
        self.path = path

    def decode(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.decode(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "__ndarray__" in value:
            return np.array(self.arrays[value["__ndarray__"]])
        if "__ndarray_list__" in value:
            data = self.decode(value["__ndarray_list__"])
            kind = value.get("dtype")
            arr = np.array(data, dtype=object if kind == "O" else None)
            return arr.reshape(value["shape"])
        if "__float__" in value:
            return float(value["__float__"])
        if "__tuple__" in value:
            return tuple(self.decode(v) for v in value["__tuple__"])
        if "__history__" in value:
            return History(self.decode(v) for v in value["__history__"])
        if "__dict__" in value:
            return {k: self.decode(v) for k, v in value["__dict__"].items()}
        if "__items__" in value:
            return {self.decode(k) if not isinstance(k, list) else tuple(self.decode(k)): self.decode(v)
                    for k, v in value["__items__"]}
        if "__object__" in value:
            return self.decode_object(value)
        raise ValueError(f"{self.path}: unrecognised entry in the model header: {sorted(value)}.")

    def decode_object(self, value: dict) -> Any:
        cls = _resolve_class(value["__object__"], self.path)
        params = self.decode(value["params"])
        state = self.decode(value["state"])
        if hasattr(cls, "__mlatlas_restore__"):
            return cls.__mlatlas_restore__(params, state)
        obj = cls(**params)
        for key, val in state.items():
            setattr(obj, key, val)
        return obj


def _resolve_class(qualified: str, path: str) -> type:
    module_name, _, qualname = qualified.partition(":")
    if module_name.split(".")[0] != _PACKAGE or not qualname:
        raise ValueError(
            f"{path}: refuses to load class {qualified!r}; only classes inside the mlatlas package are loaded."
        )
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        raise ValueError(f"{path}: class {qualified!r} does not exist in this version of mlatlas.") from None
    if not isinstance(obj, type):
        raise ValueError(f"{path}: {qualified!r} is not a class.")
    return obj


def save_model(estimator: Any, path: str | os.PathLike) -> None:
    """Save a (fitted or unfitted) mlatlas estimator to ``path`` (an ``.npz`` archive).

    Parameters
    ----------
    estimator : mlatlas estimator
        Any estimator of this package; nested mlatlas estimators (the trees of a
        forest) are saved with it.
    path : path-like
        Target file.  The write is atomic (temporary file, then rename).

    Raises
    ------
    TypeError
        If the object is not an mlatlas estimator or holds a value that cannot be
        saved safely.
    """
    path = os.fspath(path)
    encoder = _Encoder()
    body = encoder.encode_object(estimator)
    header = {"format": FORMAT, "version": FORMAT_VERSION, "model": body}
    payload = dict(encoder.arrays)
    payload["__header__"] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)

    folder = os.path.dirname(os.path.abspath(path)) or "."
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".mlatlas-", suffix=".npz.tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_model(path: str | os.PathLike) -> Any:
    """Load an estimator written by :func:`save_model`.

    Raises
    ------
    ValueError
        If the file is missing, is not an mlatlas model, has an unknown format
        version, or names a class outside mlatlas.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ValueError(f"{path}: no such file.")
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise ValueError(f"{path}: not an mlatlas model file ({exc}).") from None
    with archive:
        if "__header__" not in archive.files:
            raise ValueError(f"{path}: not an mlatlas model file (no header).")
        try:
            header = json.loads(bytes(archive["__header__"]).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: corrupt model header ({exc}).") from None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ValueError(f"{path}: not an mlatlas model file (format {header.get('format')!r}).")
        if header.get("version") != FORMAT_VERSION:
            raise ValueError(
                f"{path}: model format version {header.get('version')!r} is not supported "
                f"(this mlatlas reads version {FORMAT_VERSION})."
            )
        arrays = {key: archive[key] for key in archive.files if key != "__header__"}
    return _Decoder(arrays, path).decode_object(header["model"])
