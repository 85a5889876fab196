"""Datasets that need no network: bundled tables, toy generators and local files.

``load(name, **options)`` returns a :class:`Dataset`.  The bundled tables come from
scikit-learn (iris, wine, breast_cancer, digits, diabetes) and statsmodels (sunspots,
macrodata, nile); the generators (moons, circles, blobs, spirals, linear, ar) draw a
fresh sample from a seeded generator.  ``load_file(path)`` reads a user's CSV, ``.npz``
or MNIST IDX file.

Examples
--------
>>> from mlatlas import datasets
>>> iris = datasets.load("iris")
>>> iris.X.shape, iris.task
((150, 4), 'classification')
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import struct
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .base import check_random_state

__all__ = ["Dataset", "load", "available", "load_file", "describe"]

TASKS = ("classification", "regression", "clustering", "timeseries", "images")


@dataclass
class Dataset:
    """A dataset: features ``X`` (n_samples, n_features), target ``y`` and what they mean.

    For a time series, ``y`` is the series (n,) and ``X`` its time index (n, 1).
    For images, ``images`` holds them as (n, height, width) and ``X`` flattened.
    """

    name: str
    X: np.ndarray
    y: np.ndarray | None
    task: str
    feature_names: list[str]
    target_names: list[str] | None = None
    description: str = ""
    images: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}; got {self.task!r}.")

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])


# ---------------------------------------------------------------------------
# Bundled tables
# ---------------------------------------------------------------------------


def _from_sklearn(name: str, task: str) -> Dataset:
    from sklearn import datasets as skd

    bunch = getattr(skd, f"load_{name}")()
    target_names = [str(t) for t in bunch.target_names] if "target_names" in bunch else None
    description = bunch.DESCR.strip().splitlines()
    # The first non-title line of scikit-learn's description is its one-line summary.
    summary = next((line.strip() for line in description[3:] if line.strip()), name)
    images = bunch.images / 16.0 if name == "digits" else None
    X = bunch.data.astype(float)
    return Dataset(
        name=name,
        X=X,
        y=bunch.target,
        task=task,
        feature_names=[str(f) for f in bunch.feature_names],
        target_names=target_names,
        description=f"scikit-learn's bundled {name} dataset. {summary}",
        images=images,
    )


def _statsmodels_dataset(module: str):
    try:
        import statsmodels.datasets as smd
    except ImportError as exc:  # pragma: no cover - exercised only without statsmodels
        raise ImportError(
            f"the {module!r} dataset ships with statsmodels, which is not installed; "
            "install it with `pip install statsmodels` (or the mlatlas[dev] extra)."
        ) from exc
    return getattr(smd, module).load_pandas().data


def _sunspots() -> Dataset:
    frame = _statsmodels_dataset("sunspots")
    years = frame["YEAR"].to_numpy(dtype=float)
    return Dataset(
        name="sunspots",
        X=years.reshape(-1, 1),
        y=frame["SUNACTIVITY"].to_numpy(dtype=float),
        task="timeseries",
        feature_names=["year"],
        description="Yearly mean sunspot numbers 1700-2008 (statsmodels).",
    )


def _nile() -> Dataset:
    frame = _statsmodels_dataset("nile")
    years = frame["year"].to_numpy(dtype=float)
    return Dataset(
        name="nile",
        X=years.reshape(-1, 1),
        y=frame["volume"].to_numpy(dtype=float),
        task="timeseries",
        feature_names=["year"],
        description="Annual flow of the Nile at Aswan 1871-1970, 10^8 m^3 (statsmodels).",
    )


def _macrodata(column: str = "realgdp") -> Dataset:
    frame = _statsmodels_dataset("macrodata")
    if column not in frame.columns:
        raise ValueError(f"column must be one of {list(frame.columns)}; got {column!r}.")
    t = (frame["year"] + (frame["quarter"] - 1) / 4.0).to_numpy(dtype=float)
    return Dataset(
        name="macrodata",
        X=t.reshape(-1, 1),
        y=frame[column].to_numpy(dtype=float),
        task="timeseries",
        feature_names=["year"],
        description=f"US quarterly macro data 1959-2009, series {column!r} (statsmodels).",
    )


# ---------------------------------------------------------------------------
# Generators
# ---------------------------------------------------------------------------


def _seed(random_state: Any) -> int:
    """An int seed for scikit-learn's generators, drawn from our Generator."""
    return int(check_random_state(random_state).integers(0, 2**31 - 1))


def _moons(n_samples: int = 400, noise: float = 0.2, random_state: Any = 0) -> Dataset:
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=n_samples, noise=noise, random_state=_seed(random_state))
    return Dataset("moons", X, y, "classification", ["x1", "x2"], ["0", "1"],
                   f"Two interleaving half circles, noise={noise}.")


def _circles(n_samples: int = 400, noise: float = 0.1, factor: float = 0.5,
             random_state: Any = 0) -> Dataset:
    from sklearn.datasets import make_circles

    X, y = make_circles(n_samples=n_samples, noise=noise, factor=factor,
                        random_state=_seed(random_state))
    return Dataset("circles", X, y, "classification", ["x1", "x2"], ["0", "1"],
                   f"A circle inside a circle, noise={noise}, factor={factor}.")


def _blobs(n_samples: int = 500, centers: int = 4, n_features: int = 2,
           cluster_std: float = 1.0, random_state: Any = 0) -> Dataset:
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n_samples=n_samples, centers=centers, n_features=n_features,
                      cluster_std=cluster_std, random_state=_seed(random_state))
    return Dataset("blobs", X, y, "clustering", [f"x{i + 1}" for i in range(n_features)],
                   [str(k) for k in range(int(np.max(y)) + 1)],
                   f"{centers} isotropic Gaussian blobs in {n_features} dimensions.")


def _spirals(n_samples: int = 400, n_arms: int = 2, noise: float = 0.2,
             turns: float = 1.5, random_state: Any = 0) -> Dataset:
    rng = check_random_state(random_state)
    per_arm = np.full(n_arms, n_samples // n_arms)
    per_arm[: n_samples % n_arms] += 1
    X, y = [], []
    for arm, m in enumerate(per_arm):
        # radius r grows with the angle theta; each arm is rotated by 2*pi*arm/n_arms
        r = np.linspace(0.2, 1.0, m)
        theta = turns * 2 * np.pi * r + 2 * np.pi * arm / n_arms
        points = np.column_stack([r * np.cos(theta), r * np.sin(theta)])
        X.append(points + rng.normal(scale=noise * 0.1, size=points.shape))
        y.append(np.full(m, arm))
    return Dataset("spirals", np.vstack(X), np.concatenate(y), "classification", ["x1", "x2"],
                   [str(k) for k in range(n_arms)], f"{n_arms} interleaved spiral arms.")


def _linear(n_samples: int = 200, n_features: int = 1, noise: float = 0.5,
            random_state: Any = 0) -> Dataset:
    rng = check_random_state(random_state)
    X = rng.normal(size=(n_samples, n_features))
    coef = rng.uniform(-3, 3, size=n_features)
    intercept = rng.uniform(-2, 2)
    # y = b0 + b1 x1 + ... + bn xn + noise
    y = intercept + X @ coef + rng.normal(scale=noise, size=n_samples)
    return Dataset("linear", X, y, "regression", [f"x{i + 1}" for i in range(n_features)], None,
                   f"y = {intercept:.3f} + X @ {np.round(coef, 3).tolist()} + N(0, {noise}^2).")


def simulate_ar(phi, n: int, *, const: float = 0.0, sigma: float = 1.0, burn: int = 200,
                random_state: Any = 0) -> np.ndarray:
    """Draw ``n`` points of y_t = const + sum_i phi_i y_{t-i} + e_t, e_t ~ N(0, sigma^2)."""
    rng = check_random_state(random_state)
    phi = np.asarray(phi, dtype=float)
    p = phi.size
    e = rng.normal(scale=sigma, size=n + burn)
    y = np.zeros(n + burn)
    for t in range(p, n + burn):
        # y_t = c + phi_1 y_{t-1} + ... + phi_p y_{t-p} + e_t
        y[t] = const + phi @ y[t - p:t][::-1] + e[t]
    return y[burn:]


def _ar(n_samples: int = 500, phi=(0.6, -0.3), const: float = 0.0, sigma: float = 1.0,
        random_state: Any = 0) -> Dataset:
    y = simulate_ar(phi, n_samples, const=const, sigma=sigma, random_state=random_state)
    return Dataset("ar", np.arange(n_samples, dtype=float).reshape(-1, 1), y, "timeseries", ["t"],
                   None, f"Simulated AR({len(phi)}) with phi={list(phi)}, c={const}, sigma={sigma}.")


_LOADERS: dict[str, Callable[..., Dataset]] = {
    "iris": lambda: _from_sklearn("iris", "classification"),
    "wine": lambda: _from_sklearn("wine", "classification"),
    "breast_cancer": lambda: _from_sklearn("breast_cancer", "classification"),
    "digits": lambda: _from_sklearn("digits", "classification"),
    "diabetes": lambda: _from_sklearn("diabetes", "regression"),
    "sunspots": _sunspots,
    "macrodata": _macrodata,
    "nile": _nile,
    "moons": _moons,
    "circles": _circles,
    "blobs": _blobs,
    "spirals": _spirals,
    "linear": _linear,
    "ar": _ar,
}


def available() -> list[str]:
    """Names accepted by :func:`load`, in a stable order."""
    return list(_LOADERS)


def describe(name: str) -> str:
    """A one-line description of a named dataset (loads it)."""
    return load(name).description


def load(name: str, **options: Any) -> Dataset:
    """Load a bundled dataset or draw a generated one.

    Parameters
    ----------
    name : str
        One of :func:`available`.
    **options
        Generator options (``n_samples``, ``noise``, ``random_state``...) or, for
        macrodata, ``column``.  Bundled tables take none.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the known ones) or an unknown option.
    """
    if name not in _LOADERS:
        raise ValueError(f"unknown dataset {name!r}; known datasets: {', '.join(available())}.")
    loader = _LOADERS[name]
    try:
        return loader(**options)
    except TypeError as exc:
        if "unexpected keyword" in str(exc) or "positional argument" in str(exc):
            import inspect

            accepted = list(inspect.signature(loader).parameters)
            raise ValueError(
                f"dataset {name!r} does not take options {sorted(options)}; "
                f"it accepts: {accepted if accepted else 'no options'}."
            ) from None
        raise


# ---------------------------------------------------------------------------
# User files
# ---------------------------------------------------------------------------


def load_file(path: str | os.PathLike, *, target: str | int | None = -1,
              task: str | None = None, labels: str | os.PathLike | None = None) -> Dataset:
    """Read a dataset from a local file.

    Parameters
    ----------
    path : path-like
        ``.csv`` (optional header row), ``.npz`` (arrays ``X`` and optionally ``y``) or
        an MNIST IDX file (``*-idx3-ubyte`` for images, ``*-idx1-ubyte`` for labels,
        plain or ``.gz``).
    target : str, int or None
        CSV only: the target column, by header name or index (default the last one);
        ``None`` for no target.
    task : str, optional
        Overrides the guess ("classification" when the target holds few distinct
        integers or any text, otherwise "regression").
    labels : path-like, optional
        IDX only: the matching label file for an image file.

    Raises
    ------
    ValueError
        A missing, malformed or unsupported file, with the file name and the problem.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ValueError(f"{path}: no such file.")
    if os.path.isdir(path):
        raise ValueError(f"{path}: a folder, not a file.")
    lower = path.lower()
    base = lower[:-3] if lower.endswith(".gz") else lower
    if base.endswith(".csv"):
        return _load_csv(path, target, task)
    if base.endswith(".npz"):
        return _load_npz(path, task)
    if "idx" in os.path.basename(base) or base.endswith(".idx"):
        return _load_idx_dataset(path, labels, task)
    raise ValueError(
        f"{path}: unsupported file type; expected .csv, .npz or an MNIST IDX file (name containing 'idx')."
    )


def _guess_task(y: np.ndarray) -> str:
    if y.dtype.kind in "OUS":
        return "classification"
    if np.all(np.isfinite(y)) and np.allclose(y, np.round(y)) and len(np.unique(y)) <= max(20, len(y) // 50):
        return "classification"
    return "regression"


def _load_csv(path: str, target: str | int | None, task: str | None) -> Dataset:
    opener = gzip.open if path.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", newline="") as handle:
            rows = [row for row in csv.reader(handle) if row and any(cell.strip() for cell in row)]
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not a UTF-8 text file (byte {exc.start} cannot be decoded).") from None
    except (OSError, EOFError, csv.Error) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ValueError(f"{path}: cannot read the CSV file ({reason}).") from None
    if not rows:
        raise ValueError(f"{path}: the CSV file is empty.")

    def is_number(cell: str) -> bool:
        try:
            float(cell)
            return True
        except ValueError:
            return False

    has_header = not all(is_number(c) for c in rows[0])
    header = [c.strip() for c in rows[0]] if has_header else [f"x{i}" for i in range(len(rows[0]))]
    body = rows[1:] if has_header else rows
    if not body:
        raise ValueError(f"{path}: the CSV file has a header but no data rows.")
    width = len(header)
    for line_no, row in enumerate(body, start=2 if has_header else 1):
        if len(row) != width:
            raise ValueError(f"{path}: line {line_no} has {len(row)} fields, expected {width}.")
    columns = list(zip(*body))

    t_index = None
    if target is not None:
        if isinstance(target, str):
            if target not in header:
                raise ValueError(f"{path}: target column {target!r} not found; columns are {header}.")
            t_index = header.index(target)
        else:
            if not -width <= int(target) < width:
                raise ValueError(f"{path}: target index {target} out of range for {width} columns.")
            t_index = int(target) % width

    feature_idx = [i for i in range(width) if i != t_index]
    X = np.empty((len(body), len(feature_idx)))
    for j, i in enumerate(feature_idx):
        try:
            X[:, j] = [float(c) for c in columns[i]]
        except ValueError:
            bad = next(c for c in columns[i] if not is_number(c))
            raise ValueError(
                f"{path}: column {header[i]!r} holds a non-numeric value {bad!r}; features must be numbers."
            ) from None
    y = None
    if t_index is not None:
        raw = columns[t_index]
        y = np.array([float(c) for c in raw]) if all(is_number(c) for c in raw) else np.array(raw)
    inferred = task or ("clustering" if y is None else _guess_task(y))
    if inferred == "classification" and y is not None and y.dtype.kind == "f":
        y = y.astype(int)
    target_names = [str(v) for v in np.unique(y)] if inferred == "classification" else None
    return Dataset(os.path.basename(path), X, y, inferred, [header[i] for i in feature_idx],
                   target_names, f"Read from {path}.")


def _load_npz(path: str, task: str | None) -> Dataset:
    try:
        with np.load(path, allow_pickle=False) as archive:
            if "X" not in archive:
                raise ValueError(f"{path}: the .npz file has no array 'X' (found {sorted(archive.files)}).")
            X = np.asarray(archive["X"])
            y = np.asarray(archive["y"]) if "y" in archive else None
    except (OSError, EOFError, ValueError) as exc:
        if str(exc).startswith(path):
            raise
        raise ValueError(f"{path}: not a readable .npz file ({exc}).") from None
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    images = X if X.ndim == 3 else None
    if X.ndim > 2:
        X = X.reshape(X.shape[0], -1)
    if y is not None and len(y) != len(X):
        raise ValueError(f"{path}: X has {len(X)} rows but y has {len(y)}.")
    inferred = task or ("images" if images is not None else
                        "clustering" if y is None else _guess_task(y))
    return Dataset(os.path.basename(path), X.astype(float), y, inferred,
                   [f"x{i}" for i in range(X.shape[1])], None, f"Read from {path}.", images)


_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (the MNIST format), plain or gzip-compressed.

    The header is two zero bytes, a type code, the number of dimensions, then each
    dimension as a big-endian uint32; the data follow in row-major order.
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the file ({exc.strerror or exc}).") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ValueError(f"{path}: corrupt gzip data ({exc}).") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path}: not an IDX file (bad magic number).")
    type_code, ndim = raw[2], raw[3]
    if type_code not in _IDX_TYPES:
        raise ValueError(f"{path}: unknown IDX data type code 0x{type_code:02x}.")
    if ndim == 0 or len(raw) < 4 + 4 * ndim:
        raise ValueError(f"{path}: truncated IDX header.")
    shape = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    dtype = np.dtype(_IDX_TYPES[type_code])
    expected = int(np.prod(shape)) * dtype.itemsize
    data = raw[4 + 4 * ndim:]
    if len(data) != expected:
        raise ValueError(
            f"{path}: IDX header promises {expected} bytes of data for shape {shape}, found {len(data)}."
        )
    return np.frombuffer(io.BytesIO(data).getbuffer(), dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def _load_idx_dataset(path: str, labels: str | os.PathLike | None, task: str | None) -> Dataset:
    array = read_idx(path)
    if array.ndim == 1:
        # A label file on its own.
        return Dataset(os.path.basename(path), array.reshape(-1, 1).astype(float), array.astype(int),
                       task or "classification", ["label"], None, f"IDX labels read from {path}.")
    images = array.astype(float)
    if array.dtype == np.uint8:
        images = images / 255.0
    y = None
    if labels is not None:
        y = read_idx(labels)
        if y.ndim != 1 or len(y) != len(images):
            raise ValueError(f"{os.fspath(labels)}: expected {len(images)} labels, found shape {y.shape}.")
        y = y.astype(int)
    X = images.reshape(images.shape[0], -1)
    return Dataset(os.path.basename(path), X, y, task or "images",
                   [f"pixel{i}" for i in range(X.shape[1])],
                   [str(k) for k in np.unique(y)] if y is not None else None,
                   f"IDX images read from {path}.", images if images.ndim == 3 else None)
