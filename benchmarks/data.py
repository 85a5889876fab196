"""Data the benchmark cases share, in scikit-learn's split order (X_train, X_test, y_train, y_test)."""

from __future__ import annotations


def bundled_split(name: str):
    """A bundled scikit-learn table, 25% held out, stratified, ``random_state=0``."""
    from sklearn import datasets
    from sklearn.model_selection import train_test_split

    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


def synthetic_split(kind: str, n_train: int, n_test: int):
    """``make_classification`` / ``make_regression`` with 20 features (10 informative);
    the first ``n_train`` rows train, the next ``n_test`` test."""
    from sklearn.datasets import make_classification, make_regression

    if kind == "classification":
        X, y = make_classification(n_samples=n_train + n_test, n_features=20, n_informative=10, random_state=0)
    else:
        X, y = make_regression(n_samples=n_train + n_test, n_features=20, n_informative=10,
                               noise=10.0, random_state=0)
    return X[:n_train], X[n_train:], y[:n_train], y[n_train:]
