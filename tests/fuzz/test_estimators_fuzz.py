"""Property-based tests: every exported estimator on hostile data.

For each estimator mlatlas exports, hypothesis draws small datasets with random shapes
and dtypes, extreme magnitudes (1e-300 to 1e300), constant columns, duplicate rows,
injected NaN/inf, a single class and sample weights with zeros.  Each draw must end in
one of two ways:

* ``fit`` (and every prediction method) succeeds and every output is finite, or
* ``fit`` or the prediction raises ``ValueError``/``TypeError`` with a message.

Any other exception, or a NaN/inf in an output, fails the test.  The number of draws
comes from the hypothesis profile (``tests/conftest.py``): a bounded default for
``make test`` and ``HYPOTHESIS_PROFILE=long`` for a longer hunt.
"""

from __future__ import annotations

import importlib
import inspect
import signal
import warnings
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from mlatlas import nn, probability, supervised, timeseries, unsupervised

SECONDS_PER_EXAMPLE = 20  # a draw that takes longer than this counts as a hang

DISTRIBUTIONS = importlib.import_module("mlatlas.probability.mle").DISTRIBUTIONS
MAGNITUDES = (1.0, 1e-300, 1e-8, 1e8, 1e150, 1e300)
POISONS = (None, None, None, np.nan, np.inf, -np.inf)


class Hang(Exception):
    pass


@contextmanager
def time_limit(seconds: int):
    """Raise :class:`Hang` in the main thread after ``seconds`` (POSIX only)."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def handler(signum, frame):
        raise Hang(f"no result after {seconds} s")

    previous = signal.signal(signal.SIGALRM, handler)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# Each estimator with settings small enough for many draws; ``d`` is the number of
# features (SparseCoder needs a dictionary of that width).
CLASSIFIERS = {
    "LogisticRegression": lambda d: supervised.LogisticRegression(max_iter=50),
    "LogisticRegression-newton": lambda d: supervised.LogisticRegression(solver="newton", max_iter=20),
    "KNeighborsClassifier": lambda d: supervised.KNeighborsClassifier(n_neighbors=3),
    "KNeighborsClassifier-distance": lambda d: supervised.KNeighborsClassifier(n_neighbors=2, weights="distance"),
    "DecisionTreeClassifier": lambda d: supervised.DecisionTreeClassifier(max_depth=4),
    "RandomForestClassifier": lambda d: supervised.RandomForestClassifier(n_estimators=3, random_state=0),
    "AdaBoostClassifier": lambda d: supervised.AdaBoostClassifier(n_estimators=5),
    "SVC": lambda d: supervised.SVC(max_iter=2000),
    "SVC-linear": lambda d: supervised.SVC(kernel="linear", max_iter=2000),
    "MLPClassifier": lambda d: nn.MLPClassifier(hidden_layer_sizes=(4,), max_epochs=3, random_state=0),
}
REGRESSORS = {
    "LinearRegression": lambda d: supervised.LinearRegression(),
    "LinearRegression-gd": lambda d: supervised.LinearRegression(solver="gd", max_iter=50),
    "KNeighborsRegressor": lambda d: supervised.KNeighborsRegressor(n_neighbors=3),
    "DecisionTreeRegressor": lambda d: supervised.DecisionTreeRegressor(max_depth=4),
    "RandomForestRegressor": lambda d: supervised.RandomForestRegressor(n_estimators=3, random_state=0),
    "MLPRegressor": lambda d: nn.MLPRegressor(hidden_layer_sizes=(4,), max_epochs=3, random_state=0),
}
UNSUPERVISED = {
    "KMeans": lambda d: unsupervised.KMeans(n_clusters=2, n_init=1, max_iter=20, random_state=0),
    "KMeans-random": lambda d: unsupervised.KMeans(n_clusters=3, init="random", n_init=2, max_iter=20,
                                                   random_state=0),
    "GaussianMixture": lambda d: unsupervised.GaussianMixture(n_components=2, max_iter=20, random_state=0),
    "GaussianMixture-diag": lambda d: unsupervised.GaussianMixture(n_components=2, covariance_type="diag",
                                                                   max_iter=20, random_state=0),
    "DictionaryLearning": lambda d: unsupervised.DictionaryLearning(n_components=2, max_iter=5, random_state=0),
    "SparseCoder": lambda d: unsupervised.SparseCoder(dictionary=np.eye(d)[: max(1, d - 1)], alpha=0.1),
}
OUTPUT_METHODS = ("predict", "predict_proba", "decision_function", "transform", "score_samples")


def test_every_exported_estimator_is_fuzzed():
    """A new estimator must be added here (ID3 and AR have their own tests below)."""
    covered = {name.split("-")[0] for table in (CLASSIFIERS, REGRESSORS, UNSUPERVISED) for name in table}
    covered |= {"ID3Classifier", "AutoRegressive"}
    exported = {name for pkg in (supervised, unsupervised, timeseries) for name in pkg.__all__
                if isinstance(getattr(pkg, name), type) and hasattr(getattr(pkg, name), "fit")}
    exported |= {"MLPClassifier", "MLPRegressor"}
    assert exported <= covered, sorted(exported - covered)


@st.composite
def matrices(draw, min_rows=1):
    """A small feature matrix with the awkward properties of real data, and a seed."""
    n = draw(st.integers(min_rows, 25))
    d = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    if draw(st.booleans()):  # a constant column
        X[:, draw(st.integers(0, d - 1))] = draw(st.sampled_from([0.0, 1.0, -3.5]))
    if n > 1 and draw(st.booleans()):  # duplicate rows
        half = n // 2
        X[half:2 * half] = X[:half]
    X = X * draw(st.sampled_from(MAGNITUDES))
    poison = draw(st.sampled_from(POISONS))
    if poison is not None:
        X[draw(st.integers(0, n - 1)), draw(st.integers(0, d - 1))] = poison
    dtype = draw(st.sampled_from(["float64", "float32", "int64"]))
    with np.errstate(all="ignore"):
        if dtype == "int64":
            X = np.where(np.isfinite(X), np.clip(np.round(X), -2**62, 2**62), X)
            if np.all(np.isfinite(X)):
                X = X.astype(np.int64)
        elif dtype == "float32":
            X = X.astype(np.float32)  # may overflow to inf: that must be refused
    return X, rng


def _sample_weight(draw, fit, n):
    if "sample_weight" not in inspect.signature(fit).parameters:
        return None
    kind = draw(st.sampled_from(["none", "none", "zeros", "all-zero", "integers"]))
    if kind == "none":
        return None
    if kind == "all-zero":
        return np.zeros(n)
    weights = np.asarray(draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 3.0]), min_size=n, max_size=n)))
    if kind == "integers":
        weights = np.round(weights)
    return weights


def _check_outputs(estimator, X):
    for method in OUTPUT_METHODS:
        if not hasattr(estimator, method):
            continue
        out = np.asarray(getattr(estimator, method)(X))
        note(f"{method} -> {out!r}")
        if out.dtype.kind in "fc":
            assert np.all(np.isfinite(out)), f"{type(estimator).__name__}.{method} returned non-finite values"


def _run(estimator, X, y=None, sample_weight=None):
    """Fit and predict; only a ValueError/TypeError with a message may escape."""
    kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
    note(f"X={X!r}\ny={y!r}\nsample_weight={sample_weight!r}")
    with warnings.catch_warnings(), np.errstate(all="ignore"), time_limit(SECONDS_PER_EXAMPLE):
        warnings.simplefilter("ignore")
        try:
            if y is None:
                estimator.fit(X, **kwargs)
            else:
                estimator.fit(X, y, **kwargs)
            _check_outputs(estimator, X)
        except (ValueError, TypeError) as exc:
            assert str(exc).strip(), f"{type(exc).__name__} without a message"


@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
@given(data=st.data())
def test_classifier_on_hostile_data(name, data):
    X, rng = data.draw(matrices())
    n = X.shape[0]
    n_classes = data.draw(st.integers(1, 3))
    y = rng.integers(0, n_classes, size=n)
    if data.draw(st.booleans()):
        y = np.array(["cat", "dog", "eel"])[y]
    estimator = CLASSIFIERS[name](X.shape[1])
    _run(estimator, X, y, _sample_weight(data.draw, estimator.fit, n))


@pytest.mark.parametrize("name", sorted(REGRESSORS))
@given(data=st.data())
def test_regressor_on_hostile_data(name, data):
    X, rng = data.draw(matrices())
    n = X.shape[0]
    y = rng.normal(size=n) * data.draw(st.sampled_from([1.0, 1e6, 1e-6]))
    if data.draw(st.booleans()):
        y[:] = y[0]  # a constant target
    estimator = REGRESSORS[name](X.shape[1])
    _run(estimator, X, y, _sample_weight(data.draw, estimator.fit, n))


@pytest.mark.parametrize("name", sorted(UNSUPERVISED))
@given(data=st.data())
def test_unsupervised_on_hostile_data(name, data):
    X, _ = data.draw(matrices())
    estimator = UNSUPERVISED[name](X.shape[1])
    _run(estimator, X, None, _sample_weight(data.draw, estimator.fit, X.shape[0]))


@given(data=st.data())
def test_id3_on_hostile_data(data):
    n = data.draw(st.integers(1, 25))
    d = data.draw(st.integers(1, 3))
    values = st.one_of(st.sampled_from(["a", "b", "c", ""]), st.integers(-3, 3),
                       st.sampled_from([None, np.nan, 1.5]))
    X = np.array(data.draw(st.lists(st.lists(values, min_size=d, max_size=d), min_size=n, max_size=n)),
                 dtype=object)
    y = np.array(data.draw(st.lists(st.sampled_from(["yes", "no", "maybe"]), min_size=n, max_size=n)),
                 dtype=object)
    _run(supervised.ID3Classifier(max_depth=data.draw(st.sampled_from([None, 1, 3]))), X, y)


@given(data=st.data())
def test_autoregressive_on_hostile_series(data):
    n = data.draw(st.integers(1, 60))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    series = np.cumsum(rng.normal(size=n)) * data.draw(st.sampled_from(MAGNITUDES))
    if data.draw(st.booleans()):
        series[:] = series[0]  # a constant series
    poison = data.draw(st.sampled_from(POISONS))
    if poison is not None:
        series[data.draw(st.integers(0, n - 1))] = poison
    lags = data.draw(st.integers(1, 4))
    model = timeseries.AutoRegressive(lags=lags, method=data.draw(st.sampled_from(["ols", "yule-walker"])))
    note(f"series={series!r} lags={lags}")
    with warnings.catch_warnings(), np.errstate(all="ignore"), time_limit(SECONDS_PER_EXAMPLE):
        warnings.simplefilter("ignore")
        try:
            model.fit(series)
            assert np.all(np.isfinite(model.params_)), "AutoRegressive.params_ not finite"
            for part in model.forecast(3):
                assert np.all(np.isfinite(np.asarray(part, dtype=float))), "forecast not finite"
        except (ValueError, TypeError) as exc:
            assert str(exc).strip()


@pytest.mark.parametrize("distribution", sorted(DISTRIBUTIONS))
@given(data=st.data())
def test_mle_on_hostile_samples(distribution, data):
    n = data.draw(st.integers(0, 40))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x = np.abs(rng.normal(size=n)) * data.draw(st.sampled_from(MAGNITUDES))
    if data.draw(st.booleans()):
        x = np.round(x)
    poison = data.draw(st.sampled_from(POISONS + (-1.0,)))
    if poison is not None and n:
        x[data.draw(st.integers(0, n - 1))] = poison
    note(f"x={x!r}")
    with warnings.catch_warnings(), np.errstate(all="ignore"), time_limit(SECONDS_PER_EXAMPLE):
        warnings.simplefilter("ignore")
        try:
            result = probability.mle(distribution, x)
            for key, value in [*result.estimates.items(), *result.standard_errors.items()]:
                assert np.all(np.isfinite(np.asarray(value, dtype=float))), f"{key} = {value}"
            assert np.isfinite(result.loglik), f"log-likelihood {result.loglik}"
        except (ValueError, TypeError) as exc:
            assert str(exc).strip()
