"""Benchmarks: LinearRegression and LogisticRegression against scikit-learn's.

- LinearRegression, 100k x 50 dense Gaussian features (noisy linear target), fit on
  80k rows and predict 20k; quality: test R^2.  Target ratio <= 1.5.
- LogisticRegression on digits (standardised with the training split's mean and
  standard deviation, 1400 train / 397 test, 10 classes: the softmax model) and on a
  50k x 20 binary ``make_classification`` problem (40k train / 10k test).  Both sides use
  L-BFGS with the same C=1, tol=1e-4 and max_iter=1000 (scikit-learn's defaults, with
  room to converge); quality: test accuracy.  Target ratio <= 1.0 at equal accuracy.

``--quick`` shrinks the data (20k x 50 regression, 10k x 20 binary).
"""

from __future__ import annotations

from .harness import case

_LOGISTIC = {"C": 1.0, "tol": 1e-4, "max_iter": 1000}


def _split(X, y, n_train):
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def _setup_ols(quick: bool):
    import numpy as np

    rng = np.random.default_rng(0)
    n, p = (20_000 if quick else 100_000), 50
    X = rng.normal(size=(n, p))
    y = 3.0 + X @ rng.uniform(-2, 2, size=p) + rng.normal(scale=2.0, size=n)
    return _split(X, y, int(0.8 * n))


def _ols(model_class):
    def run(data) -> float:
        X_train, y_train, X_test, y_test = data
        pred = model_class().fit(X_train, y_train).predict(X_test)
        return float(1.0 - ((y_test - pred) ** 2).sum() / ((y_test - y_test.mean()) ** 2).sum())
    return run


def _ours_ols(data) -> float:
    from mlatlas.supervised.linear_regression import LinearRegression

    return _ols(LinearRegression)(data)


def _reference_ols(data) -> float:
    from sklearn.linear_model import LinearRegression

    return _ols(LinearRegression)(data)


def _setup_digits(quick: bool):
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    n_train = 1400
    X = StandardScaler().fit(X[:n_train]).transform(X)
    return _split(X, y, n_train)


def _setup_binary(quick: bool):
    from sklearn.datasets import make_classification

    n = 10_000 if quick else 50_000
    X, y = make_classification(n_samples=n, n_features=20, n_informative=10, random_state=0)
    return _split(X, y, int(0.8 * n))


def _ours_logistic(data) -> float:
    from mlatlas.supervised.logistic_regression import LogisticRegression

    X_train, y_train, X_test, y_test = data
    model = LogisticRegression(solver="lbfgs", **_LOGISTIC).fit(X_train, y_train)
    return float((model.predict(X_test) == y_test).mean())


def _reference_logistic(data) -> float:
    from sklearn.linear_model import LogisticRegression

    X_train, y_train, X_test, y_test = data
    model = LogisticRegression(solver="lbfgs", **_LOGISTIC).fit(X_train, y_train)
    return float((model.predict(X_test) == y_test).mean())


case(name="LinearRegression 100k x 50 (fit + predict)", group="linear", setup=_setup_ols,
     ours=_ours_ols, reference=_reference_ols,
     reference_name="sklearn.linear_model.LinearRegression", quality_name="test R^2",
     target=1.5, repeats=7)

case(name="LogisticRegression digits, 10 classes (fit + predict)", group="linear",
     setup=_setup_digits, ours=_ours_logistic, reference=_reference_logistic,
     reference_name="sklearn.linear_model.LogisticRegression (lbfgs)",
     quality_name="test accuracy", target=1.0, repeats=9)

case(name="LogisticRegression 50k x 20 binary (fit + predict)", group="linear",
     setup=_setup_binary, ours=_ours_logistic, reference=_reference_logistic,
     reference_name="sklearn.linear_model.LogisticRegression (lbfgs)",
     quality_name="test accuracy", target=1.0, repeats=9)
