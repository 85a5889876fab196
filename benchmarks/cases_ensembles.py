"""Benchmarks: random forests and AdaBoost (fit + predict) against scikit-learn's.

- RandomForestClassifier, 100 trees, ``n_jobs=2`` for both, on digits (1347 train /
  450 test, stratified) and on 20 000 + 5 000 samples of ``make_classification``
  (20 features, 10 informative, 2 classes);
- RandomForestRegressor, 100 trees, ``n_jobs=2``, ``min_samples_leaf=5``, on 10 000 +
  2 500 samples of ``make_regression`` (20 features);
- AdaBoostClassifier, 50 stumps (SAMME), on digits (10 classes) and breast_cancer.

Quality is the test accuracy (R^2 for the regressor).  Forests draw different
bootstraps from scikit-learn's, so their scores agree only statistically; AdaBoost
builds the same stumps, so its score is the same.  Target: time ratio ours /
scikit-learn <= 2.0 at equal quality (within one point).
"""

from __future__ import annotations

from .data import bundled_split, synthetic_split
from .harness import case


def _setup_digits(quick: bool):
    return bundled_split("digits")


def _setup_breast_cancer(quick: bool):
    return bundled_split("breast_cancer")


def _setup_large(quick: bool):
    n_train = 5_000 if quick else 20_000
    return synthetic_split("classification", n_train, n_train // 4)


def _setup_regression(quick: bool):
    n_train = 3_000 if quick else 10_000
    return synthetic_split("regression", n_train, n_train // 4)


def _accuracy(model, data) -> float:
    X_train, X_test, y_train, y_test = data
    return float((model.fit(X_train, y_train).predict(X_test) == y_test).mean())


def _r2(model, data) -> float:
    X_train, X_test, y_train, y_test = data
    return float(model.fit(X_train, y_train).score(X_test, y_test))


def _forest_ours(data) -> float:
    from mlatlas.supervised import RandomForestClassifier

    return _accuracy(RandomForestClassifier(n_estimators=100, n_jobs=2, random_state=0), data)


def _forest_reference(data) -> float:
    from sklearn.ensemble import RandomForestClassifier

    return _accuracy(RandomForestClassifier(n_estimators=100, n_jobs=2, random_state=0), data)


def _forest_reg_ours(data) -> float:
    from mlatlas.supervised import RandomForestRegressor

    return _r2(RandomForestRegressor(n_estimators=100, min_samples_leaf=5, n_jobs=2, random_state=0), data)


def _forest_reg_reference(data) -> float:
    from sklearn.ensemble import RandomForestRegressor

    return _r2(RandomForestRegressor(n_estimators=100, min_samples_leaf=5, n_jobs=2, random_state=0), data)


def _ada_ours(data) -> float:
    from mlatlas.supervised import AdaBoostClassifier

    return _accuracy(AdaBoostClassifier(n_estimators=50, random_state=0), data)


def _ada_reference(data) -> float:
    from sklearn.ensemble import AdaBoostClassifier
    from sklearn.tree import DecisionTreeClassifier

    return _accuracy(AdaBoostClassifier(DecisionTreeClassifier(max_depth=1), n_estimators=50, random_state=0), data)


case(name="RandomForest digits, 100 trees, n_jobs=2 (fit + predict)", group="ensembles",
     setup=_setup_digits, ours=_forest_ours, reference=_forest_reference,
     reference_name="sklearn.ensemble.RandomForestClassifier", quality_name="test accuracy",
     target=2.0, repeats=5)

case(name="RandomForest 20k x 20, 100 trees, n_jobs=2 (fit + predict)", group="ensembles",
     setup=_setup_large, ours=_forest_ours, reference=_forest_reference,
     reference_name="sklearn.ensemble.RandomForestClassifier", quality_name="test accuracy",
     target=2.0, repeats=3)

case(name="RandomForestRegressor 10k x 20, 100 trees, n_jobs=2 (fit + predict)", group="ensembles",
     setup=_setup_regression, ours=_forest_reg_ours, reference=_forest_reg_reference,
     reference_name="sklearn.ensemble.RandomForestRegressor", quality_name="test R^2",
     target=2.0, repeats=3)

case(name="AdaBoost digits, 50 stumps (fit + predict)", group="ensembles",
     setup=_setup_digits, ours=_ada_ours, reference=_ada_reference,
     reference_name="sklearn AdaBoostClassifier(DecisionTreeClassifier(max_depth=1))",
     quality_name="test accuracy", target=2.0, repeats=7)

case(name="AdaBoost breast_cancer, 50 stumps (fit + predict)", group="ensembles",
     setup=_setup_breast_cancer, ours=_ada_ours, reference=_ada_reference,
     reference_name="sklearn AdaBoostClassifier(DecisionTreeClassifier(max_depth=1))",
     quality_name="test accuracy", target=2.0, repeats=7)
