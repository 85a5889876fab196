r"""Random forests: many decorrelated CART trees, voted (classification) or averaged (regression).

Breiman's random forest grows B trees, each on its own random view of the data:

1. a bootstrap sample: n draws with replacement from the n training rows, so a tree
   sees about 1 - (1 - 1/n)^n ~ 63.2 % of the distinct rows, some of them several times;
2. at every node, only ``max_features`` features chosen at random are searched for the
   best split (sqrt(p) for classification, all p for regression by default).

Both make the trees differ; averaging B trees whose errors are correlated by rho
brings the variance of one tree, sigma^2, down to

    Var(average) = rho sigma^2 + (1 - rho) sigma^2 / B,

so the less the trees agree (small rho), the more averaging helps, while each tree
keeps the low bias of a deep tree.

Prediction
    classification:  p(k | x) = (1/B) sum_b p_b(k | x)   (soft vote), class = argmax_k
    regression:      f(x)     = (1/B) sum_b f_b(x)

Out-of-bag (OOB) estimate
    Each row is left out of about 36.8 % of the bootstraps.  Predicting it with only
    those trees gives an honest held-out prediction for free; ``oob_score_`` is the
    accuracy (classifier) or R^2 (regressor) of these predictions.

Feature importance
    The mean over the trees of each tree's normalised impurity decrease
    (``DecisionTreeClassifier.feature_importances_``), normalised to sum to 1.

Implementation
    A bootstrap sample is passed to a tree as sample weights equal to the number of
    times each row was drawn (0 for rows left out), which gives exactly the tree grown
    on the resampled rows while sharing one sorted copy of ``X`` (:func:`presort`)
    between all trees.  The trees' compiled builder releases the GIL, so ``n_jobs``
    runs them in threads (:func:`mlatlas._parallel.parallel_map`) without copying the
    data.  Predictions are summed over fixed groups of trees, each group in tree order,
    and the group sums in group order, so the forest's outputs do not depend on
    ``n_jobs`` either, to the last bit.

References
----------
L. Breiman, "Random forests", Machine Learning 45, 5-32 (2001).
T. Hastie, R. Tibshirani, J. Friedman, *The Elements of Statistical Learning*, ch. 15.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._parallel import available_cpus, parallel_map, split_rows
from ..base import check_bool, check_count_or_fraction, check_random_state, check_sample_weight, check_scalar_param
from .tree import DecisionTreeClassifier, DecisionTreeRegressor, float32_features, presort

__all__ = ["RandomForestClassifier", "RandomForestRegressor"]

# predictions are summed over groups of this many trees (see the module docstring)
_TREES_PER_GROUP = 8


def _bootstrap_counts(seed: int, n_samples: int, n_draws: int) -> np.ndarray:
    """How many times each row is drawn in ``n_draws`` draws with replacement: (n_samples,)."""
    draws = np.random.default_rng(seed).integers(0, n_samples, n_draws)
    return np.bincount(draws, minlength=n_samples)


def _fit_one(tree, X32, y, order, sample_weight, counts):
    weight = counts.astype(np.float64) if sample_weight is None else counts * sample_weight
    if not weight.sum() > 0:  # every drawn row has weight 0: fall back to all rows
        weight = np.ones_like(weight) if sample_weight is None else sample_weight.copy()
    tree.fit(X32, y, sample_weight=weight, presorted=order, check_input=False)
    return tree


class _BaseForest(BaseEstimator):
    """Shared bagging machinery; subclasses say which tree and how to combine."""

    _tree_class: type = DecisionTreeClassifier

    def __init__(self, n_estimators=100, *, criterion="gini", max_depth=None, min_samples_split=2,
                 min_samples_leaf=1, max_features="sqrt", min_impurity_decrease=0.0, bootstrap=True,
                 oob_score=False, max_samples=None, n_jobs=None, random_state=None):
        self.n_estimators = n_estimators
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.min_impurity_decrease = min_impurity_decrease
        self.bootstrap = bootstrap
        self.oob_score = oob_score
        self.max_samples = max_samples
        self.n_jobs = n_jobs
        self.random_state = random_state

    # ----------------------------------------------------------------- checks
    def _n_draws(self, n_samples: int) -> int:
        ms = self.max_samples
        check_count_or_fraction(ms, "max_samples", min_count=1, allow_none=True)
        if ms is None:
            return n_samples
        if isinstance(ms, numbers.Integral):
            return int(ms)
        return max(1, int(round(ms * n_samples)))

    def _check_params(self) -> None:
        check_scalar_param(self.n_estimators, "n_estimators", kind=numbers.Integral, low=1)
        check_bool(self.bootstrap, "bootstrap")
        check_bool(self.oob_score, "oob_score")
        if self.oob_score and not self.bootstrap:
            raise ValueError("oob_score=True needs bootstrap=True (without bootstrap no row is out of bag).")
        if self.max_samples is not None and not self.bootstrap:
            raise ValueError("max_samples is only used with bootstrap=True; set max_samples=None.")
        if self.n_jobs is not None:
            check_scalar_param(self.n_jobs, "n_jobs", kind=numbers.Integral)
            if self.n_jobs == 0:
                raise ValueError("n_jobs must be None, a positive int or a negative int (-1 = all cores); got 0.")

    def _make_tree(self, seed: int):
        return self._tree_class(
            criterion=self.criterion, max_depth=self.max_depth, min_samples_split=self.min_samples_split,
            min_samples_leaf=self.min_samples_leaf, max_features=self.max_features,
            min_impurity_decrease=self.min_impurity_decrease, random_state=int(seed))

    def _n_threads(self) -> int:
        """Threads for ``n_jobs``: None is 1, -1 all cores, -2 all but one, ... (as joblib)."""
        if self.n_jobs is None:
            return 1
        if self.n_jobs < 0:
            return max(1, available_cpus() + 1 + int(self.n_jobs))
        return int(self.n_jobs)

    # -------------------------------------------------------------------- fit
    def _fit(self, X32: np.ndarray, y_fit: np.ndarray, sample_weight: Any) -> None:
        """Grow the trees on validated float32 ``X32`` and encoded targets ``y_fit``."""
        self._check_params()
        n_samples, n_features = X32.shape
        # the trees' own parameters, checked once here rather than in every tree
        self._make_tree(0)._resolve_params(n_samples, n_features)
        n_draws = self._n_draws(n_samples)
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, n_samples)
        # one pair of seeds per tree (bootstrap draw, feature draws), fixed before any
        # tree is grown so that the forest does not depend on n_jobs
        rng = check_random_state(self.random_state)
        seeds = rng.integers(0, np.iinfo(np.int32).max, size=(self.n_estimators, 2))
        order = presort(X32)  # (n_features, n_samples): each feature sorted once for all trees
        if self.bootstrap:
            counts = [_bootstrap_counts(int(s), n_samples, n_draws) for s in seeds[:, 0]]
        else:
            counts = [np.ones(n_samples, dtype=np.int64)] * self.n_estimators
        # threads: the tree builder releases the GIL
        self.estimators_ = parallel_map(
            lambda b: _fit_one(self._make_tree(seeds[b, 1]), X32, y_fit, order, sample_weight, counts[b]),
            range(self.n_estimators), n_threads=self._n_threads())
        importances = [t.feature_importances_ for t in self.estimators_ if len(t.feature_) > 1]
        if importances:
            mean = np.mean(importances, axis=0)
            self.feature_importances_ = mean / mean.sum()
        else:  # every tree is a single leaf
            self.feature_importances_ = np.zeros(X32.shape[1])
        if self.oob_score:
            self._set_oob(X32, y_fit, counts)

    def _accumulate(self, X32: np.ndarray, width: int, predict) -> np.ndarray:
        """Sum of ``predict(tree, X32)`` (n_samples, width) over the trees, in threads.

        Each group of trees is summed in tree order, the groups in group order: the
        same additions whatever the number of threads.
        """
        def group_sum(trees):
            start, stop = trees
            total = np.zeros((X32.shape[0], width))
            for tree in self.estimators_[start:stop]:
                total += predict(tree, X32).reshape(X32.shape[0], width)
            return total

        n_trees = len(self.estimators_)
        groups = split_rows(n_trees, -(-n_trees // _TREES_PER_GROUP))
        sums = parallel_map(group_sum, groups, n_threads=self._n_threads())
        total = sums[0]
        for part in sums[1:]:
            total += part
        return total

    def _oob_sums(self, X32: np.ndarray, counts, width: int, predict) -> tuple[np.ndarray, np.ndarray]:
        """Per row: the sum of predictions of the trees that did not draw it, and their number."""
        total = np.zeros((X32.shape[0], width))
        n_pred = np.zeros(X32.shape[0], dtype=np.int64)
        for tree, c in zip(self.estimators_, counts):
            out_of_bag = np.flatnonzero(c == 0)
            if out_of_bag.size:
                total[out_of_bag] += predict(tree, X32[out_of_bag]).reshape(out_of_bag.size, width)
                n_pred[out_of_bag] += 1
        if np.any(n_pred == 0):
            warnings.warn(
                f"{np.sum(n_pred == 0)} training rows were drawn by every bootstrap and have no "
                "out-of-bag prediction (NaN); oob_score_ uses the other rows. Use more trees.",
                UserWarning, stacklevel=3)
        return total, n_pred

    def _validate_predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "estimators_")
        X = validate_data(self, X, dtype=np.float32, reset=False)
        return np.ascontiguousarray(X, dtype=np.float32)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags


class RandomForestClassifier(ClassifierMixin, _BaseForest):
    """Random forest classifier: bootstrap-bagged CART trees with random feature subsets.

    Parameters
    ----------
    n_estimators : int, default=100
        Number of trees B.
    criterion : {"gini", "entropy"}, default="gini"
    max_depth, min_samples_split, min_samples_leaf, min_impurity_decrease
        Passed to every :class:`~mlatlas.supervised.DecisionTreeClassifier`.
    max_features : "sqrt", "log2", int, float or None, default="sqrt"
        Features searched at each split (``None``: all; plain bagging).
    bootstrap : bool, default=True
        Grow each tree on a bootstrap sample (else on all rows; only the feature
        draws then differ between trees).
    oob_score : bool, default=False
        Compute ``oob_score_`` and ``oob_decision_function_``.
    max_samples : None, int or float in (0, 1], default=None
        Rows drawn per bootstrap (``None``: n_samples).
    n_jobs : int or None, default=None
        Threads used to grow and to query the trees (None: one; -1: all cores).
    random_state : None, int or numpy.random.Generator
        Seeds the bootstraps and each tree's feature draws; the result does not
        depend on ``n_jobs``.

    Attributes
    ----------
    estimators_ : list of DecisionTreeClassifier
        The fitted trees (trained on the class indices 0..K-1).
    classes_ : ndarray (n_classes,)
    n_classes_ : int
    n_features_in_ : int
    feature_importances_ : ndarray (n_features,)
    oob_score_ : float
        Accuracy of the out-of-bag predictions (``oob_score=True``).
    oob_decision_function_ : ndarray (n_samples, n_classes)
        Mean class probabilities from the trees that did not draw each row (NaN rows
        for the rare row drawn by every tree).

    Examples
    --------
    >>> from mlatlas.datasets import load
    >>> iris = load("iris")
    >>> forest = RandomForestClassifier(n_estimators=20, random_state=0).fit(iris.X, iris.y)
    >>> forest.score(iris.X, iris.y) > 0.95
    True
    """

    _tree_class = DecisionTreeClassifier

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> "RandomForestClassifier":
        """Grow ``n_estimators`` trees on bootstrap samples of ``X`` (n_samples, n_features)."""
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32))
        X = float32_features(X, order="F")
        check_classification_targets(y)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        self.n_classes_ = len(self.classes_)
        self._fit(X, y_index, sample_weight)
        return self

    def _set_oob(self, X32, y_index, counts) -> None:
        total, n_pred = self._oob_sums(
            X32, counts, self.n_classes_, lambda tree, Z: tree.predict_proba(Z, check_input=False))
        seen = n_pred > 0
        # mean of the out-of-bag trees' class probabilities
        self.oob_decision_function_ = np.full_like(total, np.nan)
        self.oob_decision_function_[seen] = total[seen] / n_pred[seen, None]
        self.oob_score_ = float(accuracy_score(y_index[seen], np.argmax(self.oob_decision_function_[seen], axis=1)))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Mean of the trees' class probabilities (soft vote), (n_samples, n_classes)."""
        X32 = self._validate_predict(X)
        total = self._accumulate(X32, self.n_classes_, lambda tree, Z: tree.predict_proba(Z, check_input=False))
        # p(k | x) = (1/B) sum_b p_b(k | x)
        return total / len(self.estimators_)

    def predict(self, X: Any) -> np.ndarray:
        """Class with the largest mean probability (the first one on ties), (n_samples,)."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_log_proba(self, X: Any) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))


class RandomForestRegressor(RegressorMixin, _BaseForest):
    """Random forest regressor: the mean of bootstrap-bagged regression trees.

    Parameters are those of :class:`RandomForestClassifier`, except
    ``criterion="squared_error"`` and ``max_features=1.0`` (all features: Breiman's
    p/3 or scikit-learn's 1.0 are both common; 1.0 matches scikit-learn).

    Attributes
    ----------
    estimators_ : list of DecisionTreeRegressor
    n_features_in_ : int
    feature_importances_ : ndarray (n_features,)
    oob_score_ : float
        R^2 of the out-of-bag predictions (``oob_score=True``).
    oob_prediction_ : ndarray (n_samples,)
        Mean prediction of the trees that did not draw each row (NaN if none).

    Examples
    --------
    >>> from mlatlas.datasets import load
    >>> d = load("diabetes")
    >>> forest = RandomForestRegressor(n_estimators=20, random_state=0).fit(d.X, d.y)
    >>> forest.score(d.X, d.y) > 0.8
    True
    """

    _tree_class = DecisionTreeRegressor

    def __init__(self, n_estimators=100, *, criterion="squared_error", max_depth=None, min_samples_split=2,
                 min_samples_leaf=1, max_features=1.0, min_impurity_decrease=0.0, bootstrap=True,
                 oob_score=False, max_samples=None, n_jobs=None, random_state=None):
        super().__init__(n_estimators, criterion=criterion, max_depth=max_depth,
                         min_samples_split=min_samples_split, min_samples_leaf=min_samples_leaf,
                         max_features=max_features, min_impurity_decrease=min_impurity_decrease,
                         bootstrap=bootstrap, oob_score=oob_score, max_samples=max_samples,
                         n_jobs=n_jobs, random_state=random_state)

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> "RandomForestRegressor":
        """Grow ``n_estimators`` regression trees on bootstrap samples."""
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32), y_numeric=True)
        X = float32_features(X, order="F")
        self._fit(X, np.asarray(y, dtype=np.float64), sample_weight)
        return self

    def _set_oob(self, X32, y, counts) -> None:
        total, n_pred = self._oob_sums(X32, counts, 1, lambda tree, Z: tree.predict(Z, check_input=False))
        seen = n_pred > 0
        self.oob_prediction_ = np.full(X32.shape[0], np.nan)
        self.oob_prediction_[seen] = total[seen, 0] / n_pred[seen]
        self.oob_score_ = float(r2_score(y[seen], self.oob_prediction_[seen]))

    def predict(self, X: Any) -> np.ndarray:
        """Mean of the trees' predictions, (n_samples,)."""
        X32 = self._validate_predict(X)
        n_trees = len(self.estimators_)
        with np.errstate(over="ignore", invalid="ignore"):
            total = self._accumulate(X32, 1, lambda tree, Z: tree.predict(Z, check_input=False))
        if not np.all(np.isfinite(total)):
            # the sum overflowed (targets near 1e308): add up f_b(x) / B instead
            return self._accumulate(X32, 1, lambda tree, Z: tree.predict(Z, check_input=False) / n_trees)[:, 0]
        # f(x) = (1/B) sum_b f_b(x)
        return total[:, 0] / n_trees
