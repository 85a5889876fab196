"""Save and load fitted estimators without pickle; a model file can hold data, never code.

A saved model is one uncompressed ``.npz`` (zip) archive.  Its entry ``__header__`` is
a JSON document (format name and version, the class, its constructor parameters and
its fitted state); every NumPy array of the state is stored as its own ``.npy`` entry
and referenced from the JSON by key.

What a model file can do
------------------------
* Name one of the estimator classes mlatlas exports (:func:`loadable_names`), by its
  public name such as ``"mlatlas.supervised.LinearRegression"``, for the model and for
  every object nested in it (the trees of a forest, the stumps of AdaBoost).  The same
  rule holds at every level of nesting.
* Give values for that class's declared constructor parameters (the names of its
  ``__init__`` signature, as in ``get_params``) and for fitted attributes it may hold:
  names such as ``coef_`` or ``X_fit_`` (a letter first, then letters, digits and
  underscores, ending in ``_``) that are not defined on the class itself, so no method,
  property or class attribute can be replaced.
* Hold plain values: ``None``, booleans, integers, floats (``nan`` and ``inf`` too),
  strings, lists, tuples, dicts, :class:`~mlatlas.base.History` records, numeric /
  boolean / string arrays (``.npy`` entries), and object or string arrays written
  element by element in the JSON.  NumPy scalars are saved as the Python number of the
  same value; a random generator held by a fitted model is saved as ``None``.

What a model file cannot do
---------------------------
* Name any other class or function: names are looked up in the allow-list, never
  imported or followed attribute by attribute, so nothing reachable through a module's
  imports (``subprocess.Popen``, ``zipfile.ZipFile``, ``os.system``) can be reached.
* Run code of its own: nothing is unpickled (arrays are read with their dtype checked,
  object arrays are refused), and the only code a load runs is the named class's
  constructor (which only stores its parameters) and ``setattr`` of the fitted state.
* Make the loader allocate more memory than the file's size (plus the decoded values):
  compressed or encrypted entries are refused, every array's declared shape and dtype
  must match the bytes actually present, and entries may not overlap.
* Nest deeper than :data:`MAX_DEPTH` levels, or smuggle an unknown key into the header.

Every malformed, truncated or hostile file raises one :class:`ModelFileError` (a
``ValueError``) whose message starts with the file's path, says where in the header the
problem is and what was expected; no other exception escapes :func:`load_model`.

Names and versions
------------------
Files of format version 2 (written now) name classes by their public names, so a class
may move between files of its subpackage without breaking saved models.  Version 1
files named ``module:qualname`` (``"mlatlas.supervised.linear:LinearRegression"``); they
are still read, through a fixed table mapping each name version 1 could write to its
public name (the module named in the file is never imported).  Code that stores models
in other containers (the torch checkpoints) uses the same two functions:
:func:`public_name` to write a class and :func:`loadable_class` to read it back.

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
>>> public_name(LinearRegression)
'mlatlas.supervised.LinearRegression'
>>> loadable_class("mlatlas.supervised.LinearRegression") is LinearRegression
True
"""

from __future__ import annotations

import functools
import importlib
import inspect
import io
import json
import math
import os
import re
import zipfile
from typing import Any

import numpy as np

from ._atomic import atomic_write
from .base import History

__all__ = ["save_model", "load_model", "loadable_class", "loadable_names", "public_name",
           "ModelFileError", "FORMAT", "FORMAT_VERSION", "READABLE_VERSIONS", "MAX_DEPTH"]

FORMAT = "mlatlas-model"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
MAX_DEPTH = 64
"""Deepest nesting of lists, dicts and objects a model header may have."""

# The subpackages whose exported estimator classes model files may name, as their path
# after "mlatlas." (a public name is "mlatlas.<path>.<Class>", the import path of the
# class's package).  A new subpackage of NumPy models joins by being listed here.
_PACKAGES = {
    "supervised": "mlatlas.supervised",
    "unsupervised": "mlatlas.unsupervised",
    "probability": "mlatlas.probability",
    "timeseries": "mlatlas.timeseries",
    "nn": "mlatlas.nn",
    "generative.boltzmann": "mlatlas.generative.boltzmann",
}

# Every class name a version-1 file could hold, mapped to its public name.  Fixed: it
# describes files already written, so it never grows.
_VERSION_1_NAMES = {
    "mlatlas.supervised.boosting:AdaBoostClassifier": "mlatlas.supervised.AdaBoostClassifier",
    "mlatlas.supervised.tree:DecisionTreeClassifier": "mlatlas.supervised.DecisionTreeClassifier",
    "mlatlas.supervised.tree:DecisionTreeRegressor": "mlatlas.supervised.DecisionTreeRegressor",
    "mlatlas.supervised.id3:ID3Classifier": "mlatlas.supervised.ID3Classifier",
    "mlatlas.supervised.neighbors:KNeighborsClassifier": "mlatlas.supervised.KNeighborsClassifier",
    "mlatlas.supervised.neighbors:KNeighborsRegressor": "mlatlas.supervised.KNeighborsRegressor",
    "mlatlas.supervised.linear:LinearRegression": "mlatlas.supervised.LinearRegression",
    "mlatlas.supervised.linear:LogisticRegression": "mlatlas.supervised.LogisticRegression",
    "mlatlas.supervised.forest:RandomForestClassifier": "mlatlas.supervised.RandomForestClassifier",
    "mlatlas.supervised.forest:RandomForestRegressor": "mlatlas.supervised.RandomForestRegressor",
    "mlatlas.supervised.svm:SVC": "mlatlas.supervised.SVC",
    "mlatlas.unsupervised.sparse_coding:DictionaryLearning": "mlatlas.unsupervised.DictionaryLearning",
    "mlatlas.unsupervised.gmm:GaussianMixture": "mlatlas.unsupervised.GaussianMixture",
    "mlatlas.unsupervised.kmeans:KMeans": "mlatlas.unsupervised.KMeans",
    "mlatlas.unsupervised.sparse_coding:SparseCoder": "mlatlas.unsupervised.SparseCoder",
    "mlatlas.timeseries.ar:AutoRegressive": "mlatlas.timeseries.AutoRegressive",
    "mlatlas.nn.mlp:MLPClassifier": "mlatlas.nn.MLPClassifier",
    "mlatlas.nn.mlp:MLPRegressor": "mlatlas.nn.MLPRegressor",
}

# A fitted attribute: a letter, then letters, digits or underscores, ending in "_".
_STATE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*_")
# Array dtypes read from ``.npy`` entries: bool, integers, floats, complex, bytes, str.
_ARRAY_KINDS = "biufcSU"
_MAX_NDIM = 32
_MAX_ELEMENTS = 2**48


class ModelFileError(ValueError):
    """A model file that is missing, malformed, or names something mlatlas does not load.

    The message starts with the file's path and says what is wrong and where.
    """


def _short(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters (values come from untrusted files)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _clip(text: str, limit: int = 200) -> str:
    """``text`` cut to ``limit`` characters."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------- allow-list
def _is_model_class(obj: Any) -> bool:
    """True for the classes model files may hold: mlatlas estimators (or restorable classes)."""
    from sklearn.base import BaseEstimator

    return (isinstance(obj, type)
            and obj.__module__.split(".")[0] == "mlatlas"
            and (issubclass(obj, BaseEstimator) or callable(getattr(obj, "__mlatlas_restore__", None))))


def loadable_class(name: str) -> type:
    """The class a model file may name as ``name``, from the allow-list.

    ``name`` is a public name ``"mlatlas.<subpackage>.<Class>"`` (the subpackage may be
    nested: ``"mlatlas.generative.boltzmann.RBM"``): ``<Class>`` must be in
    that subpackage's exports (its ``__all__``) and be an estimator class mlatlas
    defines.  The name is only compared with those export tables; nothing named by it
    is imported or looked up attribute by attribute.

    Parameters
    ----------
    name : str
        Public name, e.g. ``"mlatlas.supervised.LinearRegression"``.

    Returns
    -------
    type
        The class.

    Raises
    ------
    ValueError
        If ``name`` is not the public name of a loadable class.

    Examples
    --------
    >>> loadable_class("mlatlas.unsupervised.KMeans").__name__
    'KMeans'
    >>> loadable_class("mlatlas.persistence.os.system")
    Traceback (most recent call last):
    ...
    ValueError: 'mlatlas.persistence.os.system' is not a class mlatlas loads from files; ...
    """
    if not isinstance(name, str):
        raise ValueError(f"a class name must be a str; got {type(name).__name__} {_short(name)}.")
    root, _, path = name.partition(".")
    path, _, attr = path.rpartition(".")
    if root == "mlatlas" and path in _PACKAGES:
        package = importlib.import_module(_PACKAGES[path])
        if attr in package.__all__:
            obj = getattr(package, attr)
            if _is_model_class(obj):
                return obj
            raise ValueError(f"{_short(name)} is exported by mlatlas but is not a model class "
                             "(only estimators are saved and loaded).")
    raise ValueError(f"{_short(name)} is not a class mlatlas loads from files; loadable classes have "
                     "public names such as 'mlatlas.supervised.LinearRegression' (see loadable_names()).")


@functools.lru_cache(maxsize=1)
def loadable_names() -> tuple[str, ...]:
    """Public names of every class a model file may hold, sorted.

    Importing them all takes a few seconds (the algorithms' modules and kernels); the
    result is cached.

    Examples
    --------
    >>> "mlatlas.supervised.RandomForestClassifier" in loadable_names()
    True
    >>> "mlatlas.nn.Sequential" in loadable_names()  # a network module, not an estimator
    False
    """
    names = []
    for short, package_name in _PACKAGES.items():
        package = importlib.import_module(package_name)
        names += [f"mlatlas.{short}.{attr}" for attr in package.__all__
                  if _is_model_class(getattr(package, attr))]
    return tuple(sorted(names))


def public_name(cls: type) -> str:
    """The public name under which model files store ``cls``.

    Parameters
    ----------
    cls : type
        An estimator class mlatlas exports.

    Returns
    -------
    str
        ``"mlatlas.<subpackage>.<Class>"``; :func:`loadable_class` maps it back to ``cls``.

    Raises
    ------
    TypeError
        If ``cls`` is not a class that model files may hold.

    Examples
    --------
    >>> from mlatlas.nn import MLPClassifier
    >>> public_name(MLPClassifier)
    'mlatlas.nn.MLPClassifier'
    """
    if isinstance(cls, type) and _is_model_class(cls):
        for short, package_name in _PACKAGES.items():
            package = importlib.import_module(package_name)
            if cls.__name__ in package.__all__ and getattr(package, cls.__name__) is cls:
                return f"mlatlas.{short}.{cls.__name__}"
    what = f"{cls.__module__}.{cls.__qualname__}" if isinstance(cls, type) else _short(cls)
    hint = ""
    if isinstance(cls, type) and cls.__module__.startswith("mlatlas.nn") and hasattr(cls, "state_dict"):
        hint = (" A network module is saved as its arrays: numpy.savez(path, **net.state_dict()), "
                "and read back into the same architecture with net.load_state_dict(dict(numpy.load(path))).")
    raise TypeError(f"save_model only saves mlatlas objects: the estimator classes mlatlas exports "
                    f"(see mlatlas.persistence.loadable_names()); got {what}.{hint}")


def _declared_params(cls: type) -> set[str]:
    """Names of the keyword parameters of ``cls.__init__`` (what ``get_params`` returns)."""
    signature = inspect.signature(cls.__init__)
    return {p.name for p in signature.parameters.values()
            if p.name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def _on_class(cls: type, name: str) -> bool:
    """True if ``name`` is defined on ``cls`` or a base (method, property, class attribute)."""
    return any(name in vars(klass) for klass in cls.__mro__)


def _is_state_name(cls: type, name: Any) -> bool:
    """True for the fitted-attribute names a file may set on an instance of ``cls``."""
    return isinstance(name, str) and _STATE_NAME.fullmatch(name) is not None and not _on_class(cls, name)


# --------------------------------------------------------------------------- writing
class _Encoder:
    """Turn a Python object graph into JSON plus a dict of arrays."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def _array(self, value: np.ndarray) -> dict:
        if value.dtype.kind == "O" or value.dtype.kind == "U":
            # Object/str arrays (class labels such as "yes"/"no") go into the JSON.
            return {"__ndarray_list__": self.encode(value.tolist()), "dtype": value.dtype.kind,
                    "shape": list(value.shape)}
        if value.dtype.kind not in _ARRAY_KINDS or value.dtype.fields is not None or value.dtype.shape:
            raise TypeError(f"cannot save an array of dtype {value.dtype}; only bool, integer, float, "
                            "complex, bytes, str and object arrays are saved.")
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
            "only numbers, strings, lists, dicts, NumPy arrays and mlatlas estimators are saved."
        )

    def encode_object(self, obj: Any) -> dict:
        cls = type(obj)
        name = public_name(cls)  # TypeError for anything a file may not name
        if hasattr(obj, "__mlatlas_state__"):
            params, state = obj.__mlatlas_state__()
        else:
            params = obj.get_params(deep=False)
            state = {k: v for k, v in vars(obj).items() if _STATE_NAME.fullmatch(k)}
        for key in state:
            if not _is_state_name(cls, key):
                raise TypeError(f"cannot save {name}: its fitted attribute {key!r} is not a name a model "
                                "file may set (a letter first, ending in '_', not defined on the class).")
        return {"__object__": name, "params": self.encode(params), "state": self.encode(state)}


def save_model(estimator: Any, path: str | os.PathLike) -> None:
    """Save a (fitted or unfitted) mlatlas estimator to ``path`` (an ``.npz`` archive).

    Parameters
    ----------
    estimator : mlatlas estimator
        An instance of one of the classes listed by :func:`loadable_names`; nested
        mlatlas estimators (the trees of a forest) are saved with it.
    path : path-like
        Target file.  The write is atomic (temporary file, then rename).

    Raises
    ------
    TypeError
        If the object is not an mlatlas estimator (a network module, a scikit-learn
        estimator, any other object) or holds a value that cannot be saved safely.
        Nothing is written then.
    """
    path = os.fspath(path)
    encoder = _Encoder()
    body = encoder.encode_object(estimator)
    header = {"format": FORMAT, "version": FORMAT_VERSION, "model": body}
    payload = dict(encoder.arrays)
    payload["__header__"] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)

    folder = os.path.dirname(os.path.abspath(path)) or "."
    os.makedirs(folder, exist_ok=True)
    atomic_write(path, lambda handle: np.savez(handle, **payload))


# --------------------------------------------------------------------------- reading
def _check_shape(shape: Any) -> str | None:
    """What is wrong with an array shape taken from a file (None if nothing)."""
    if not isinstance(shape, (list, tuple)) or len(shape) > _MAX_NDIM:
        return f"a shape must be a list of at most {_MAX_NDIM} sizes; got {_short(shape)}"
    if not all(type(d) is int and d >= 0 for d in shape):
        return f"array sizes must be non-negative integers; got {_short(shape)}"
    if math.prod(max(d, 1) for d in shape) > _MAX_ELEMENTS:
        return f"shape {_short(shape)} is larger than any array can be"
    return None


def _read_npy(data: bytes, fail) -> np.ndarray:
    """Parse one ``.npy`` entry; its header must agree with the bytes present."""
    buffer = io.BytesIO(data)
    version = np.lib.format.read_magic(buffer)
    if version == (1, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(buffer)
    elif version == (2, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(buffer)
    else:
        fail(f".npy format version {version} is not read (1.0 and 2.0 are)")
    if dtype.hasobject or dtype.kind not in _ARRAY_KINDS or dtype.fields is not None or dtype.shape:
        fail(f"arrays of dtype {dtype} are not read (bool, integer, float, complex, bytes and str are)")
    if dtype.itemsize == 0:
        fail(f"dtype {dtype} has no size")
    problem = _check_shape(shape)
    if problem:
        fail(problem)
    count = math.prod(shape)
    offset = buffer.tell()
    # the data must be exactly count * itemsize bytes: nothing is allocated for bytes absent
    if len(data) - offset != count * dtype.itemsize:
        fail(f"declares shape {shape} of {dtype} ({count * dtype.itemsize} bytes) but holds "
             f"{len(data) - offset} bytes of data")
    flat = np.frombuffer(bytearray(data), dtype=dtype, count=count, offset=offset)
    return flat.reshape(shape[::-1]).T if fortran_order else flat.reshape(shape)


def _read_archive(path: str) -> dict[str, np.ndarray]:
    """Every entry of the archive at ``path`` as an array, keyed by name without ``.npy``."""

    def fail(message: str, entry: str | None = None):
        where = f"entry {entry!r}: " if entry else ""
        raise ModelFileError(f"{path}: not a readable mlatlas model file ({where}{message}).")

    if not os.path.isfile(path):
        raise ModelFileError(f"{path}: no such file." if not os.path.exists(path) else f"{path}: not a file.")
    entry = None
    try:
        size = os.path.getsize(path)
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = [info.filename for info in infos]
            if len(set(names)) != len(names):
                fail("two entries share a name")
            if "__header__.npy" not in names:
                fail("no header" if names else "empty archive")
            for info in infos:
                if not info.filename.endswith(".npy"):
                    fail("not a .npy entry", info.filename)
                if info.flag_bits & 0x1:
                    fail("encrypted", info.filename)
                if info.compress_type != zipfile.ZIP_STORED:
                    fail("compressed (save_model writes uncompressed entries only)", info.filename)
            # stored entries hold their bytes in the file: their sizes cannot add up to more
            if sum(info.file_size for info in infos) > size:
                fail("its entries declare more bytes than the file holds")
            arrays = {}
            for info in infos:
                entry = info.filename
                arrays[entry[:-4]] = _read_npy(archive.read(info), lambda m, e=entry: fail(m, e))
    except ModelFileError:
        raise
    except Exception as exc:  # noqa: BLE001
        # zipfile and numpy's .npy header parser report corrupt bytes with many types
        # (BadZipFile, EOFError, OSError, ValueError, struct.error, NotImplementedError,
        # UnicodeDecodeError, zlib.error, ...): every one means the file is malformed.
        fail(f"{type(exc).__name__}: {_clip(str(exc))}", entry)
    return arrays


class _Decoder:
    """Rebuild values from a model header; every check failure raises :class:`ModelFileError`."""

    # each tag and the exact set of keys its JSON object has
    TAGS = {
        "__ndarray__": {"__ndarray__"},
        "__ndarray_list__": {"__ndarray_list__", "dtype", "shape"},
        "__float__": {"__float__"},
        "__tuple__": {"__tuple__"},
        "__history__": {"__history__"},
        "__dict__": {"__dict__"},
        "__items__": {"__items__"},
        "__object__": {"__object__", "params", "state"},
    }
    FLOATS = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}

    def __init__(self, arrays: dict[str, np.ndarray], path: str, version: int) -> None:
        self.arrays = arrays
        self.path = path
        self.version = version
        self.used: set[str] = set()

    def fail(self, where: str, message: str):
        if len(where) > 120:  # a deeply nested place: its start and its end
            where = f"{where[:70]}...{where[-40:]}"
        raise ModelFileError(f"{self.path}: {where}: {message}.")

    def decode(self, value: Any, where: str, depth: int) -> Any:
        if depth > MAX_DEPTH:
            self.fail(where, f"the header nests deeper than {MAX_DEPTH} levels")
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, list):
            return [self.decode(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]
        if not isinstance(value, dict):  # json.loads makes nothing else; kept as a guard
            self.fail(where, f"unexpected value of type {type(value).__name__}")
        tags = [key for key in value if key in self.TAGS]
        if len(tags) != 1 or set(value) != self.TAGS[tags[0]]:
            self.fail(where, f"unrecognised entry with keys {_short(sorted(value))}")
        tag = tags[0]
        body = value[tag]
        inner = f"{where}.{tag}"
        if tag == "__ndarray__":
            return self.array(body, where)
        if tag == "__ndarray_list__":
            return self.array_list(value, where, depth)
        if tag == "__float__":
            if not isinstance(body, str) or body not in self.FLOATS:
                self.fail(inner, f"expected 'nan', 'inf' or '-inf'; got {_short(body)}")
            return self.FLOATS[body]
        if tag in ("__tuple__", "__history__", "__items__") and not isinstance(body, list):
            self.fail(inner, f"expected a list; got {type(body).__name__}")
        if tag == "__tuple__":
            return tuple(self.decode(body, inner, depth + 1))
        if tag == "__history__":
            return History(self.decode(body, inner, depth + 1))
        if tag == "__dict__":
            if not isinstance(body, dict):
                self.fail(inner, f"expected an object; got {type(body).__name__}")
            return {k: self.decode(v, f"{inner}[{_short(k, 40)}]", depth + 1) for k, v in body.items()}
        if tag == "__items__":
            return self.items(body, inner, depth)
        return self.decode_object(value, where, depth)

    def array(self, key: Any, where: str) -> np.ndarray:
        if not isinstance(key, str) or key == "__header__" or key not in self.arrays:
            self.fail(where, f"refers to array entry {_short(key)}, which the archive does not hold")
        if key in self.used:  # a second reference gets its own copy
            return self.arrays[key].copy()
        self.used.add(key)
        return self.arrays[key]

    def array_list(self, value: dict, where: str, depth: int) -> np.ndarray:
        kind, shape = value["dtype"], value["shape"]
        if kind not in ("O", "U"):
            self.fail(f"{where}.dtype", f"expected 'O' or 'U'; got {_short(kind)}")
        problem = _check_shape(shape)
        if problem:
            self.fail(f"{where}.shape", problem)
        data = self.decode(value["__ndarray_list__"], f"{where}.__ndarray_list__", depth + 1)
        flat: list = []

        def walk(node: Any, level: int) -> None:
            if level == len(shape):
                flat.append(node)
                return
            if not isinstance(node, list) or len(node) != shape[level]:
                self.fail(f"{where}.__ndarray_list__", f"the nested lists do not have shape {shape}")
            for element in node:
                walk(element, level + 1)

        walk(data, 0)
        if kind == "U":
            if not all(isinstance(v, str) for v in flat):
                self.fail(f"{where}.__ndarray_list__", "a str array holds a value that is not a str")
            return np.array(flat, dtype=str).reshape(shape)
        array = np.empty(len(flat), dtype=object)
        for i, element in enumerate(flat):
            array[i] = element
        return array.reshape(shape)

    def items(self, body: list, where: str, depth: int) -> dict:
        result = {}
        for i, pair in enumerate(body):
            if not isinstance(pair, list) or len(pair) != 2:
                self.fail(f"{where}[{i}]", "expected a [key, value] pair")
            key = self.decode(pair[0], f"{where}[{i}][0]", depth + 2)
            if isinstance(key, list):
                key = tuple(key)
            try:
                hash(key)
            except TypeError:
                self.fail(f"{where}[{i}][0]", f"a dict key must be hashable; got {type(key).__name__}")
            result[key] = self.decode(pair[1], f"{where}[{i}][1]", depth + 2)
        return result

    def class_named(self, name: Any, where: str) -> type:
        if self.version == 1:
            public = _VERSION_1_NAMES.get(name) if isinstance(name, str) else None
            if public is None:
                self.fail(where, f"refuses to load class {_short(name)}: a version-1 file may only name "
                          "the estimator classes mlatlas 0.1 exported")
            name = public
        try:
            return loadable_class(name)
        except ValueError as exc:
            self.fail(where, f"refuses to load: {exc}".rstrip("."))

    def decode_object(self, value: dict, where: str, depth: int) -> Any:
        cls = self.class_named(value["__object__"], f"{where}.__object__")
        name = public_name(cls)
        params = self.decode(value["params"], f"{where}.params", depth + 1)
        state = self.decode(value["state"], f"{where}.state", depth + 1)
        if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
            self.fail(f"{where}.params", f"expected a dict of parameter names; got {type(params).__name__}")
        if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
            self.fail(f"{where}.state", f"expected a dict of attribute names; got {type(state).__name__}")
        unknown = sorted(set(params) - _declared_params(cls))
        if unknown:
            self.fail(f"{where}.params", f"{name} has no parameter {_short(unknown[0])}")
        for key in state:
            if not _is_state_name(cls, key):
                self.fail(f"{where}.state", f"{_short(key)} is not a fitted attribute {name} may hold "
                          "(a letter first, ending in '_', not defined on the class)")
        try:
            if hasattr(cls, "__mlatlas_restore__"):
                return cls.__mlatlas_restore__(params, state)
            obj = cls(**params)
            for key, val in state.items():
                setattr(obj, key, val)
            return obj
        except Exception as exc:  # noqa: BLE001 -- the class's own check of a value from the file
            self.fail(where, f"{name} could not be built from the file's values "
                      f"({type(exc).__name__}: {_clip(str(exc))})")


def load_model(path: str | os.PathLike) -> Any:
    """Load an estimator written by :func:`save_model`.

    Only the classes listed by :func:`loadable_names` are built, with their declared
    parameters and fitted attributes; see the module documentation for everything a
    file can and cannot do.

    Parameters
    ----------
    path : path-like
        A file written by :func:`save_model` (format version 1 or 2).

    Returns
    -------
    estimator
        An instance of one of the loadable classes.

    Raises
    ------
    ModelFileError
        (a ``ValueError``) If the file is missing, is not an mlatlas model, is truncated
        or corrupt, has an unknown format version, names a class, parameter or
        attribute outside the allow-list, or holds a value of the wrong type anywhere.
        The message starts with the path and says where the problem is.
    """
    path = os.fspath(path)
    arrays = _read_archive(path)
    header_array = arrays.pop("__header__")
    if header_array.dtype != np.uint8 or header_array.ndim != 1:
        raise ModelFileError(f"{path}: corrupt model header (not a 1-d uint8 array of JSON text).")
    try:
        header = json.loads(header_array.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise ModelFileError(f"{path}: corrupt model header ({_clip(str(exc))}).") from None
    except RecursionError:
        raise ModelFileError(f"{path}: corrupt model header (nested too deeply to parse; model "
                             f"headers nest at most {MAX_DEPTH} levels).") from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{path}: not an mlatlas model file (the header is a JSON "
                             f"{type(header).__name__}, not an object).")
    if header.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not an mlatlas model file (format {_short(header.get('format'))}).")
    version = header.get("version")
    if type(version) is not int or version not in READABLE_VERSIONS:
        raise ModelFileError(
            f"{path}: model format version {_short(version)} is not supported "
            f"(this mlatlas reads versions {', '.join(map(str, READABLE_VERSIONS))})."
        )
    extra = sorted(set(header) - {"format", "version", "model"})
    if extra:
        raise ModelFileError(f"{path}: header: unexpected key {_short(extra[0])}.")
    model = header.get("model")
    if not isinstance(model, dict) or "__object__" not in model:
        raise ModelFileError(f"{path}: header.model: expected an object entry "
                             f"({{'__object__': ..., 'params': ..., 'state': ...}}); got {_short(model)}.")
    return _Decoder(arrays, path, version).decode(model, "model", 1)
