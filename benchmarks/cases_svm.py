"""Benchmarks: SVC (rbf) fit + predict against scikit-learn's libsvm SVC.

- 5000 training and 1250 test samples of ``make_classification`` (20 features,
  standardised): one large binary problem (kernel rows and SMO iterations dominate).
- digits (1400 train / 397 test, standardised, 10 classes): 45 small one-vs-one
  problems (per-problem overhead dominates).

Default parameters (C=1, gamma="scale", tol=1e-3).  Quality is the test accuracy; the
target is a time ratio ours / scikit-learn <= 2.0 at equal accuracy.
"""

from __future__ import annotations

from .harness import case


def _setup(quick: bool):
    from sklearn.datasets import make_classification
    from sklearn.preprocessing import StandardScaler

    n_train = 1500 if quick else 5000
    X, y = make_classification(n_samples=n_train + n_train // 4, n_features=20, n_informative=10,
                               random_state=0)
    X = StandardScaler().fit_transform(X)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def _setup_digits(quick: bool):
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    n_train = 700 if quick else 1400
    X = StandardScaler().fit(X[:n_train]).transform(X)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def _ours(data) -> float:
    from mlatlas.supervised import SVC

    X_train, y_train, X_test, y_test = data
    return float((SVC(kernel="rbf").fit(X_train, y_train).predict(X_test) == y_test).mean())


def _reference(data) -> float:
    from sklearn.svm import SVC

    X_train, y_train, X_test, y_test = data
    return float((SVC(kernel="rbf").fit(X_train, y_train).predict(X_test) == y_test).mean())


case(name="SVC rbf 5k x 20 (fit + predict)", group="svm", setup=_setup, ours=_ours,
     reference=_reference, reference_name="sklearn.svm.SVC", quality_name="test accuracy",
     target=2.0, repeats=5)

case(name="SVC rbf digits, 10 classes one-vs-one (fit + predict)", group="svm", setup=_setup_digits,
     ours=_ours, reference=_reference, reference_name="sklearn.svm.SVC",
     quality_name="test accuracy", target=2.0, repeats=5)
