"""Benchmarks: CART decision trees (fit + predict) against scikit-learn's.

- digits (1347 train / 450 test, stratified split, 64 features with 17 distinct values,
  10 classes), fully grown Gini tree;
- 50 000 training and 10 000 test samples of ``make_classification`` (20 continuous
  features, 10 informative, 2 classes), fully grown Gini tree;
- the same 50 000 x 20 as a regression (``make_regression``), squared error,
  ``min_samples_leaf=5``.

Default parameters otherwise (``max_features=None``).  Quality is the test accuracy
(R^2 for the regressor); the target is a time ratio ours / scikit-learn <= 2.0 at equal
quality (within one point).  The trees differ only where splits tie: scikit-learn breaks
ties at random (by ``random_state``), ours by the lowest feature index.  On digits ties
are common, so one scikit-learn seed can land a point or more either side of us; that
case fits both libraries with twenty seeds and reports the mean test accuracy (ours is the
same tree every time, scikit-learn's varies).
"""

from __future__ import annotations

from .data import bundled_split, synthetic_split
from .harness import case


def _setup_digits(quick: bool):
    return bundled_split("digits")


def _setup_large(quick: bool):
    n_train = 10_000 if quick else 50_000
    return synthetic_split("classification", n_train, n_train // 5)


def _setup_regression(quick: bool):
    n_train = 10_000 if quick else 50_000
    return synthetic_split("regression", n_train, n_train // 5)


def _ours(data) -> float:
    from mlatlas.supervised import DecisionTreeClassifier

    X_train, X_test, y_train, y_test = data
    return float((DecisionTreeClassifier().fit(X_train, y_train).predict(X_test) == y_test).mean())


def _reference(data) -> float:
    from sklearn.tree import DecisionTreeClassifier

    X_train, X_test, y_train, y_test = data
    return float((DecisionTreeClassifier(random_state=0).fit(X_train, y_train).predict(X_test) == y_test).mean())


SEEDS = range(20)


def _ours_seeds(data) -> float:
    from mlatlas.supervised import DecisionTreeClassifier

    X_train, X_test, y_train, y_test = data
    return sum(float((DecisionTreeClassifier(random_state=s).fit(X_train, y_train).predict(X_test) == y_test).mean())
               for s in SEEDS) / len(SEEDS)


def _reference_seeds(data) -> float:
    from sklearn.tree import DecisionTreeClassifier

    X_train, X_test, y_train, y_test = data
    return sum(float((DecisionTreeClassifier(random_state=s).fit(X_train, y_train).predict(X_test) == y_test).mean())
               for s in SEEDS) / len(SEEDS)


def _ours_regression(data) -> float:
    from mlatlas.supervised import DecisionTreeRegressor

    X_train, X_test, y_train, y_test = data
    return float(DecisionTreeRegressor(min_samples_leaf=5).fit(X_train, y_train).score(X_test, y_test))


def _reference_regression(data) -> float:
    from sklearn.tree import DecisionTreeRegressor

    X_train, X_test, y_train, y_test = data
    return float(DecisionTreeRegressor(min_samples_leaf=5, random_state=0).fit(X_train, y_train).score(X_test, y_test))


case(name="DecisionTree digits, 20 seeds (fit + predict)", group="trees", setup=_setup_digits, ours=_ours_seeds,
     reference=_reference_seeds, reference_name="sklearn.tree.DecisionTreeClassifier",
     quality_name="mean test accuracy", target=2.0, repeats=7)

case(name="DecisionTree 50k x 20 (fit + predict)", group="trees", setup=_setup_large, ours=_ours,
     reference=_reference, reference_name="sklearn.tree.DecisionTreeClassifier",
     quality_name="test accuracy", target=2.0, repeats=5)

case(name="DecisionTreeRegressor 50k x 20 (fit + predict)", group="trees", setup=_setup_regression,
     ours=_ours_regression, reference=_reference_regression,
     reference_name="sklearn.tree.DecisionTreeRegressor", quality_name="test R^2", target=2.0,
     repeats=5)
