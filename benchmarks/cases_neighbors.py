"""Benchmarks: k-nearest neighbours against scikit-learn (default ``algorithm="auto"``).

20 000 training points, 5 000 queries, 20 features (3 classes from
``make_classification``); the timed step is fit + predict with k = 5.  With 20
features scikit-learn's "auto" chooses its brute-force search, so both sides compute
the same 100 million distances.  The quality figure is test accuracy (classifier)
or test R^2 (regressor); the two must agree.
"""

from __future__ import annotations

from .harness import case

N_TRAIN, N_QUERIES, N_FEATURES = 20_000, 5_000, 20


def _classification(quick: bool):
    from sklearn.datasets import make_classification

    n_train, n_queries = (4_000, 1_000) if quick else (N_TRAIN, N_QUERIES)
    X, y = make_classification(n_samples=n_train + n_queries, n_features=N_FEATURES, n_informative=10,
                               n_classes=3, random_state=0)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def _regression(quick: bool):
    from sklearn.datasets import make_regression

    n_train, n_queries = (4_000, 1_000) if quick else (N_TRAIN, N_QUERIES)
    X, y = make_regression(n_samples=n_train + n_queries, n_features=N_FEATURES, n_informative=10,
                           noise=5.0, random_state=0)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def _accuracy(model, data) -> float:
    X_train, y_train, X_test, y_test = data
    return float((model.fit(X_train, y_train).predict(X_test) == y_test).mean())


def _r2(model, data) -> float:
    from sklearn.metrics import r2_score

    X_train, y_train, X_test, y_test = data
    return float(r2_score(y_test, model.fit(X_train, y_train).predict(X_test)))


def _ours_classifier(weights):
    def run(data):
        from mlatlas.supervised.neighbors import KNeighborsClassifier

        return _accuracy(KNeighborsClassifier(n_neighbors=5, weights=weights), data)
    return run


def _sklearn_classifier(weights):
    def run(data):
        from sklearn.neighbors import KNeighborsClassifier

        return _accuracy(KNeighborsClassifier(n_neighbors=5, weights=weights), data)
    return run


def _ours_regressor(data) -> float:
    from mlatlas.supervised.neighbors import KNeighborsRegressor

    return _r2(KNeighborsRegressor(n_neighbors=5, weights="distance"), data)


def _sklearn_regressor(data) -> float:
    from sklearn.neighbors import KNeighborsRegressor

    return _r2(KNeighborsRegressor(n_neighbors=5, weights="distance"), data)


case(
    name="knn: KNeighborsClassifier k=5, 20k train x 5k queries x 20 features (fit + predict)",
    group="neighbors",
    setup=_classification,
    ours=_ours_classifier("uniform"),
    reference=_sklearn_classifier("uniform"),
    reference_name="sklearn KNeighborsClassifier (auto)",
    quality_name="accuracy",
    target=1.0,
    repeats=7,
)

case(
    name="knn: KNeighborsClassifier k=5 distance weights, 20k x 5k x 20 (fit + predict)",
    group="neighbors",
    setup=_classification,
    ours=_ours_classifier("distance"),
    reference=_sklearn_classifier("distance"),
    reference_name="sklearn KNeighborsClassifier (auto)",
    quality_name="accuracy",
    target=None,
    repeats=5,
)

case(
    name="knn: KNeighborsRegressor k=5 distance weights, 20k x 5k x 20 (fit + predict)",
    group="neighbors",
    setup=_regression,
    ours=_ours_regressor,
    reference=_sklearn_regressor,
    reference_name="sklearn KNeighborsRegressor (auto)",
    quality_name="R2",
    target=None,
    repeats=5,
)
