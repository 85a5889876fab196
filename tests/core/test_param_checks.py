"""Every constructor parameter of every exported estimator refuses NaN and infinities.

The estimators and their parameters are discovered, not listed: every class exported by
``mlatlas.supervised``, ``unsupervised``, ``probability``, ``timeseries`` and ``nn`` that is
a scikit-learn estimator, and every parameter ``get_params()`` reports.  So a new estimator
or a new parameter is covered without editing this file.  Setting a parameter to NaN, inf
or -inf must make ``fit`` raise a ``ValueError`` whose message names the parameter --
except where an infinity has a meaning, listed (with that meaning) in ``INF_IS_MEANINGFUL``.
"""

from __future__ import annotations

import importlib
import inspect
import math
import re
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, is_classifier, is_regressor

PACKAGES = ("supervised", "unsupervised", "probability", "timeseries", "nn")

# (estimator, parameter, value) where an infinity is a valid setting, and what it means.
INF_IS_MEANINGFUL = {
    ("LogisticRegression", "C", math.inf): "no penalty: plain maximum likelihood",
    ("SVC", "C", math.inf): "the hard margin",
    ("KNeighborsClassifier", "p", math.inf): "the Chebyshev distance max_f |x_f - y_f|",
    ("KNeighborsRegressor", "p", math.inf): "the Chebyshev distance max_f |x_f - y_f|",
    ("MLPClassifier", "n_iter_no_change", math.inf): "never stop for lack of progress",
    ("MLPRegressor", "n_iter_no_change", math.inf): "never stop for lack of progress",
}

# Settings that only make the fits small (the parameter under test overrides them), and
# the one parameter an estimator cannot do without (SparseCoder's dictionary).
QUICK = {
    "RandomForestClassifier": {"n_estimators": 3},
    "RandomForestRegressor": {"n_estimators": 3},
    "AdaBoostClassifier": {"n_estimators": 3},
    "MLPClassifier": {"hidden_layer_sizes": (4,), "max_epochs": 2},
    "MLPRegressor": {"hidden_layer_sizes": (4,), "max_epochs": 2},
    "DictionaryLearning": {"n_components": 2, "max_iter": 3},
    "SparseCoder": {"dictionary": np.random.default_rng(1).normal(size=(2, 3))},
    "KMeans": {"n_clusters": 2, "n_init": 1},
    "GaussianMixture": {"n_components": 2},
}


def _exported_estimators() -> list[type]:
    found = {}
    for package in PACKAGES:
        module = importlib.import_module(f"mlatlas.{package}")
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, type) and issubclass(obj, BaseEstimator):
                found[obj.__name__] = obj
    return [found[name] for name in sorted(found)]


ESTIMATORS = _exported_estimators()
CASES = [
    pytest.param(cls, param, value, id=f"{cls.__name__}-{param}={value}")
    for cls in ESTIMATORS
    for param in sorted(cls().get_params())
    for value in (math.nan, math.inf, -math.inf)
    if (cls.__name__, param, value) not in INF_IS_MEANINGFUL  # those are fitted below
]


def _data():
    # two well-separated blobs in 3 features: separable, so a hard margin and an
    # unpenalised logistic regression are well defined
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(-3.0, 1.0, (20, 3)), rng.normal(3.0, 1.0, (20, 3))])
    y = np.repeat([0, 1], 20)
    return X, y


def _fit(estimator, **fit_params):
    """Fit on data of the estimator's kind; returns what it predicts (or transforms)."""
    X, y = _data()
    first = next(iter(inspect.signature(estimator.fit).parameters))
    if first == "y":  # a time series model: fit(y)
        series = np.sin(np.arange(60) / 3.0) + 0.1 * np.random.default_rng(2).normal(size=60)
        estimator.fit(series)
        return estimator.predict(start=60, end=64) if hasattr(estimator, "predict") else None
    if is_classifier(estimator):
        return estimator.fit(X, y, **fit_params).predict(X)
    if is_regressor(estimator):
        return estimator.fit(X, X @ np.array([1.0, 2.0, -1.0]), **fit_params).predict(X)
    estimator.fit(X, **fit_params)
    return estimator.predict(X) if hasattr(estimator, "predict") else estimator.transform(X)


def _make(cls, **params):
    estimator = cls()
    estimator.set_params(**{**QUICK.get(cls.__name__, {}), **params})
    return estimator


def test_discovery_finds_the_estimators():
    names = {cls.__name__ for cls in ESTIMATORS}
    # the ones the parameter issue named, among the others
    assert {"LogisticRegression", "SVC", "KMeans", "GaussianMixture", "DecisionTreeClassifier",
            "AdaBoostClassifier", "MLPClassifier", "RandomForestClassifier",
            "AutoRegressive"} <= names
    assert len(CASES) >= 3 * 100


def test_meaningful_infinities_are_parameters_of_exported_estimators():
    params = {cls.__name__: set(cls().get_params()) for cls in ESTIMATORS}
    for name, param, _ in INF_IS_MEANINGFUL:
        assert param in params.get(name, ()), (name, param)


@pytest.mark.parametrize("cls, param, value", CASES)
def test_non_finite_parameter_is_refused_by_name(cls, param, value):
    estimator = _make(cls, **{param: value})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=rf"(?<![A-Za-z_]){re.escape(param)}(?![A-Za-z_])"):
            _fit(estimator)


@pytest.mark.parametrize("name, param, value", sorted(INF_IS_MEANINGFUL))
def test_meaningful_infinities_fit(name, param, value):
    cls = next(c for c in ESTIMATORS if c.__name__ == name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an unpenalised fit on separable data warns
        predictions = _fit(_make(cls, **{param: value}))
    assert np.all(np.isfinite(np.asarray(predictions, dtype=float)))


def test_issue_examples_give_sklearn_style_messages():
    from mlatlas.nn import MLPClassifier
    from mlatlas.supervised import (AdaBoostClassifier, DecisionTreeClassifier, LogisticRegression,
                                    RandomForestClassifier, SVC)
    from mlatlas.unsupervised import GaussianMixture, KMeans

    X, y = _data()
    cases = [
        (LogisticRegression(C=math.nan), "C must be a real number > 0 or inf; got nan."),
        (LogisticRegression(tol=math.nan), "tol must be a finite real number >= 0; got nan."),
        (SVC(tol=math.nan), "tol must be a finite real number > 0; got nan."),
        (KMeans(tol=math.nan), "tol must be a finite real number >= 0; got nan."),
        (GaussianMixture(reg_covar=math.nan), "reg_covar must be a finite real number >= 0; got nan."),
        (DecisionTreeClassifier(min_impurity_decrease=math.nan),
         "min_impurity_decrease must be a finite real number >= 0; got nan."),
        (AdaBoostClassifier(learning_rate=math.nan),
         "learning_rate must be a finite real number > 0; got nan."),
        (MLPClassifier(weight_decay=math.nan), "weight_decay must be a finite real number >= 0; got nan."),
        (RandomForestClassifier(max_features=math.nan),
         "max_features must be None, 'sqrt', 'log2', an int in [1, n_features=3] or a real number "
         "in (0, 1]; got nan."),
    ]
    for estimator, message in cases:
        with pytest.raises(ValueError) as info:
            estimator.fit(X, y)
        assert str(info.value) == message


def test_newton_solver_gives_a_clear_error_and_no_lapack_noise(capfd):
    from mlatlas.supervised import LogisticRegression

    X, y = _data()
    with pytest.raises(ValueError, match="C must be"):
        LogisticRegression(C=math.nan, solver="newton").fit(X, y)
    # a Hessian that overflows used to reach LAPACK (which printed to stderr) and end in
    # LinAlgError; now it is a ValueError naming X
    with pytest.raises(ValueError, match="X is too large for solver='newton'"):
        LogisticRegression(solver="newton").fit(X * 1e160, y)
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


WEIGHTED = [cls for cls in ESTIMATORS if "sample_weight" in inspect.signature(cls.fit).parameters]
BAD_WEIGHTS = [
    (np.ones(39), r"^sample_weight must have shape \(40,\), one weight per sample; got shape \(39,\)\.$"),
    (np.ones((40, 2)), r"^sample_weight must have shape \(40,\), one weight per sample; got shape \(40, 2\)\.$"),
    (np.r_[np.ones(39), np.nan], r"^sample_weight must be finite; got 1 NaN or infinite value\(s\)\.$"),
    (np.r_[np.ones(39), -1.0], r"^sample_weight must be non-negative; got a minimum of -1\.0\.$"),
    (np.zeros(40), r"^sample_weight must not be all zero; got a total weight of 0\.$"),
]


def test_weighted_estimators_are_found():
    names = {cls.__name__ for cls in WEIGHTED}
    assert {"LinearRegression", "LogisticRegression", "DecisionTreeClassifier", "SVC",
            "AdaBoostClassifier", "RandomForestRegressor", "KMeans"} <= names


@pytest.mark.parametrize("weights, message", BAD_WEIGHTS, ids=["length", "2-D", "nan", "negative", "zeros"])
@pytest.mark.parametrize("cls", WEIGHTED, ids=lambda cls: cls.__name__)
def test_sample_weight_is_checked_the_same_way_everywhere(cls, weights, message):
    with pytest.raises(ValueError, match=message):
        _fit(_make(cls), sample_weight=weights)
