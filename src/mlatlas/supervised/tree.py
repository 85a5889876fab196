r"""CART decision trees for classification and regression.

A decision tree cuts the feature space into boxes with a sequence of yes/no tests
``x_j <= t`` and predicts a constant in each box: the class proportions of the training
samples that fell into it (classification) or their mean (regression).  CART
(Classification And Regression Trees) grows the tree greedily, top down, with binary
splits.

Impurity
--------
For a node holding samples with weights w_i, write W = sum_i w_i and, for
classification, p_k = (sum of w_i over class k) / W.

* Gini:          G = sum_k p_k (1 - p_k) = 1 - sum_k p_k^2
* entropy:       H = -sum_k p_k log2 p_k               (in bits, as in ID3)
* squared error: V = sum_i w_i (y_i - y_bar)^2 / W,   y_bar = sum_i w_i y_i / W

Choosing a split
----------------
For every feature j and every threshold t between two consecutive distinct values of
x_j in the node, the samples go left (x_j <= t, weight W_L, impurity I_L) or right
(W_R, I_R).  The chosen split maximises the impurity decrease

    Delta I = I - (W_L / W) I_L - (W_R / W) I_R,

which, for a fixed node, is the same as maximising a cheaper "proxy":
-(W_L I_L + W_R I_R) for Gini and entropy, and S_L^2 / W_L + S_R^2 / W_R with
S = sum_i w_i y_i for squared error (expand V and drop the terms that do not depend on
the split).  The threshold is the midpoint of the two values it separates.

Two versions of the growth
--------------------------
:func:`build_tree_readable` below is CART as written here: for each node, sort its
samples by each feature in turn, take cumulative sums of the weights and class counts
(or of w y), evaluate the proxy at every threshold at once and keep the best; recurse
left, then right.  The estimators use the compiled builder of ``_tree_kernels.py``
instead, which sorts each feature once before growing ("presorting") and keeps every
node's samples sorted by partitioning, so a split search is one linear scan with
running sums.  Both take the same arguments and give the same arrays; the tests check
it node by node.

Stopping
--------
A node becomes a leaf when the tree reached ``max_depth``, the node is pure, it holds
fewer than ``min_samples_split`` samples (or fewer than ``2 * min_samples_leaf``), no
threshold leaves ``min_samples_leaf`` samples on both sides, or the best split's
weighted decrease (W / W_root) * Delta I is below ``min_impurity_decrease``.

Note that, like scikit-learn, a split whose decrease is exactly 0 is still made when
``min_impurity_decrease=0`` (the default): on XOR-like data no single test helps, yet
two tests in a row separate the classes.  Set ``min_impurity_decrease`` to a tiny
positive number to split only on strict improvement.

Feature importance
------------------
The importance of feature j is the total weighted impurity decrease of the splits on j,

    imp_j = sum_{nodes t splitting on j} (W_t I_t - W_L I_L - W_R I_R) / W_root,

normalised to sum to 1 ("mean decrease in impurity").

Agreement with scikit-learn
---------------------------
Features are stored as float32 and thresholds are float64 midpoints of float32 values,
values closer than 1e-7 count as equal, and ties between equally good splits are broken
by the lowest feature index and then the lowest threshold (scikit-learn visits features
in a random order, so it may choose another of several equally good splits).  Where the
best split is unique, the trees are identical node by node.

References
----------
* L. Breiman, J. Friedman, R. Olshen, C. Stone, *Classification and Regression Trees*,
  Wadsworth, 1984.
* T. Hastie, R. Tibshirani, J. Friedman, *The Elements of Statistical Learning*, 2nd ed.,
  section 9.2.
* scikit-learn's ``DecisionTreeClassifier`` / ``DecisionTreeRegressor`` (the reference).
"""

from __future__ import annotations

import numbers
from math import ceil

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..base import (InvalidParameterError, check_count_or_fraction, check_option, check_random_state,
                    check_sample_weight, check_scalar_param, max_abs, overflow_safe_scale)
from . import _tree_kernels as _kernels
from ._tree_text import TreeTextMixin, _format_number

__all__ = ["DecisionTreeClassifier", "DecisionTreeRegressor", "build_tree_readable", "presort"]

TREE_LEAF = _kernels.TREE_LEAF
TREE_UNDEFINED = _kernels.TREE_UNDEFINED
_MAX_DEPTH = np.iinfo(np.int32).max


def presort(X: np.ndarray) -> np.ndarray:
    """For each feature, the sample indices sorted by that feature.

    Parameters
    ----------
    X : float32 array (n_samples, n_features)

    Returns
    -------
    order : int32 array (n_features, n_samples)
        ``X[order[j], j]`` is non-decreasing.  A forest can compute it once and pass
        it to every tree's ``fit(..., presorted=order)``.

    Examples
    --------
    >>> presort(np.array([[3.0, 1.0], [1.0, 2.0], [2.0, 0.0]], dtype=np.float32)).tolist()
    [[1, 2, 0], [2, 0, 1]]
    """
    X = np.asarray(X)
    # sort along the rows of X^T (n_features, n_samples); a contiguous row per feature
    # when X is in Fortran order.  The order among equal values does not matter.
    return np.argsort(X.T, axis=1, kind="quicksort").astype(np.int32)


def float32_features(X: np.ndarray, order: str = "K") -> np.ndarray:
    """Validated (float64 or float32) ``X`` as the float32 features trees split on.

    Casting to float32 (as scikit-learn's trees do) must not change the order of the
    values, which is all a tree looks at: a value beyond float32's range would become
    infinite and a non-zero one below its smallest (1.4e-45) would become 0.  Both are
    refused with a ValueError instead of silently tying values that differ.
    """
    if X.dtype == np.float32:
        return np.asarray(X, order=order)
    largest = max_abs(X)
    if largest > float(np.finfo(np.float32).max):
        raise ValueError(
            f"X has values too large for float32 (|x| up to {largest:.3g}), the precision trees "
            "store features in (as scikit-learn's); rescale X.")
    X32 = X.astype(np.float32, order=order)
    if np.count_nonzero(X32) != np.count_nonzero(X):
        raise ValueError(
            "X has non-zero values too small for float32 (|x| below 1.4e-45), the precision "
            "trees store features in (as scikit-learn's), so they would become 0; rescale X.")
    return X32


# ---------------------------------------------------------------------------
# CART as the maths reads.  The estimators grow their trees with the compiled
# _tree_kernels.build_tree (presorted features, hand-kept stacks); this plain version
# takes the same arguments and returns the same arrays, and the tests check that both
# grow the same trees node by node.  It sorts each node's samples again, so it is for
# small data.
# ---------------------------------------------------------------------------


def _impurity(criterion, W, counts=None, S=None, Q=None):
    """Impurity of nodes of weight ``W`` (arrays broadcast: one entry per candidate child).

    ``counts`` are the weighted class counts (..., K); ``S = sum_i w_i y_i`` and
    ``Q = sum_i w_i y_i^2`` (regression).  Classes are summed one by one, in the
    kernel's order, so that both round alike.
    """
    if criterion == _kernels.GINI:
        # G = 1 - sum_k c_k^2 / W^2
        return 1.0 - sum(counts[..., k] ** 2 for k in range(counts.shape[-1])) / (W * W)
    if criterion == _kernels.ENTROPY:
        # H = -sum_k p_k log2 p_k,  p_k = c_k / W,  0 log 0 = 0
        H = 0.0
        for k in range(counts.shape[-1]):
            p = counts[..., k] / W
            with np.errstate(divide="ignore", invalid="ignore"):
                H = H - np.where(p > 0, p * (np.log(p) / _kernels.LN2), 0.0)
        return H
    # V = Q / W - (S / W)^2, the weighted variance
    return Q / W - (S / W) ** 2


class _SplitMix64:
    """The kernel's random generator (SplitMix64) in Python integers."""

    MASK = 2**64 - 1

    def __init__(self, seed: int):
        self.state = int(seed) & self.MASK

    def below(self, n: int) -> int:
        """A random integer in [0, n)."""
        self.state = (self.state + 0x9E3779B97F4A7C15) & self.MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.MASK
        return (z ^ (z >> 31)) % n


def build_tree_readable(XT, y, w, order, n_outputs, criterion, max_depth, min_samples_split,
                        min_samples_leaf, max_features, min_impurity_decrease, seed):
    """Grow a CART tree, plainly: same arguments and result as ``_tree_kernels.build_tree``.

    ``XT`` is the float32 feature matrix transposed (n_features, n_samples); the
    samples are those of ``order[0]`` (positive weight).  Returns ``children_left,
    children_right, feature, threshold, value, impurity, n_node_samples,
    weighted_n_node_samples, depth``, nodes in depth-first pre-order.
    """
    classif = criterion != _kernels.SQUARED_ERROR
    n_features = XT.shape[0]
    # per-sample terms of the node sums: w_i [y_i = k] (class counts) or w_i y_i
    terms = (w[:, None] * (y[:, None] == np.arange(n_outputs)) if classif else (w * y)[:, None])
    rng = _SplitMix64(seed)
    features = list(range(n_features))  # the order of the draws carries over from node to node
    nodes = []

    def drawn_features():
        """All features in index order, or a random order (Fisher-Yates), drawn lazily."""
        if max_features >= n_features:
            yield from range(n_features)
            return
        for remaining in range(n_features - 1, -1, -1):
            j = rng.below(remaining + 1)
            features[j], features[remaining] = features[remaining], features[j]
            yield features[remaining]

    def best_split(samples, f, W, total):
        """Best cut on feature f: (proxy, position, threshold, samples sorted by f), or None."""
        ranked = samples[np.argsort(XT[f, samples], kind="stable")]
        x = XT[f, ranked]
        # a cut at p sends ranked[:p] left (x <= threshold) and ranked[p:] right; only
        # between two distinct values, leaving min_samples_leaf on each side
        p = 1 + np.flatnonzero(x[1:] > x[:-1] + _kernels.FEATURE_THRESHOLD)
        p = p[(p >= min_samples_leaf) & (len(ranked) - p >= min_samples_leaf)]
        if p.size == 0:
            return None
        W_L = np.cumsum(w[ranked])[p - 1]
        W_R = W - W_L
        left = np.cumsum(terms[ranked], axis=0)[p - 1]  # (candidates, n_outputs)
        right = total - left
        if classif:
            # maximise -(W_L I_L + W_R I_R): the lowest weighted child impurity
            proxy = -W_R * _impurity(criterion, W_R, right) - W_L * _impurity(criterion, W_L, left)
        else:
            # maximise S_L^2 / W_L + S_R^2 / W_R (V expanded, split-free terms dropped)
            proxy = left[:, 0] ** 2 / W_L + right[:, 0] ** 2 / W_R
        best = int(np.argmax(proxy))  # the first of equal proxies
        # the threshold halfway between the two values the cut separates
        threshold = np.float64(x[p[best] - 1]) / 2.0 + np.float64(x[p[best]]) / 2.0
        return proxy[best], int(p[best]), threshold, ranked

    def grow(samples, depth, impurity):
        """Add the node holding ``samples`` (and, recursively, its subtree); return its id."""
        nonlocal W_root
        W = np.sum(w[samples])
        total = np.sum(terms[samples], axis=0)  # class counts c_k, or [S]
        Q = np.sum(w[samples] * y[samples] * y[samples])
        if depth == 0:  # the root: its impurity from its sums
            impurity = _impurity(criterion, W, total, total[0], Q)
            W_root = W
        node = len(nodes)
        nodes.append(dict(left=-1, right=-1, feature=-2, threshold=-2.0, value=total / W,
                          impurity=impurity, n=len(samples), W=W, depth=depth))
        if (depth >= max_depth or len(samples) < min_samples_split
                or len(samples) < 2 * min_samples_leaf or impurity <= _kernels.EPSILON):
            return node
        best = None
        found_varying = False
        for n_visited, f in enumerate(drawn_features(), start=1):
            x = XT[f, samples]
            if x.max() > x.min() + _kernels.FEATURE_THRESHOLD:  # not constant in this node
                found_varying = True
                split = best_split(samples, f, W, total)
                # strictly better only: ties go to the feature visited first
                if split is not None and (best is None or split[0] > best[1][0]):
                    best = (f, split)
            if n_visited >= max_features and found_varying:
                break
        if best is None:
            return node
        f, (_, p, threshold, ranked) = best
        # the children's sums: the left ones from the scan, the right ones the rest
        W_L = np.cumsum(w[ranked])[p - 1]
        left = np.cumsum(terms[ranked], axis=0)[p - 1]
        Q_L = np.cumsum(w[ranked] * y[ranked] * y[ranked])[p - 1]
        W_R = W - W_L
        I_L = _impurity(criterion, W_L, left, left[0], Q_L)
        I_R = _impurity(criterion, W_R, total - left, total[0] - left[0], Q - Q_L)
        # weighted impurity decrease (W_t / W) (I_t - W_R / W_t I_R - W_L / W_t I_L)
        decrease = (W / W_root) * (impurity - W_R / W * I_R - W_L / W * I_L)
        if decrease + _kernels.EPSILON < min_impurity_decrease:
            return node
        nodes[node].update(feature=f, threshold=threshold)
        nodes[node]["left"] = grow(ranked[:p], depth + 1, I_L)
        nodes[node]["right"] = grow(ranked[p:], depth + 1, I_R)
        return node

    W_root = 0.0
    grow(np.asarray(order[0], dtype=np.int64), 0, None)
    column = lambda key, dtype: np.array([nd[key] for nd in nodes], dtype=dtype)  # noqa: E731
    return (column("left", np.int64), column("right", np.int64), column("feature", np.int64),
            column("threshold", np.float64), np.array([nd["value"] for nd in nodes]),
            column("impurity", np.float64), column("n", np.int64), column("W", np.float64),
            int(max(nd["depth"] for nd in nodes)))


# the builder the estimators use (tests swap in build_tree_readable to compare)
_build_tree = _kernels.build_tree


class _BaseDecisionTree(TreeTextMixin, BaseEstimator):
    """What both trees share: validation, growth, prediction plumbing, text output.

    Fitted state (parallel arrays over the nodes, numbered depth first, a node before
    its left subtree before its right subtree; node 0 is the root):

    children_left_, children_right_ : int64 (n_nodes,)
        Child node ids; -1 for leaves.
    feature_ : int64 (n_nodes,)
        The feature tested at each node; -2 for leaves.
    threshold_ : float64 (n_nodes,)
        Go left when ``x[feature] <= threshold``; -2 for leaves.
    value_ : float64 (n_nodes, n_classes) or (n_nodes, 1)
        Class proportions (classifier) or the weighted mean target (regressor) of the
        training samples in each node.
    impurity_ : float64 (n_nodes,)
    n_node_samples_ : int64 (n_nodes,)
        Training samples (of positive weight) reaching each node.
    weighted_n_node_samples_ : float64 (n_nodes,)
        Their total weight.
    """

    _criteria: dict = {}
    _is_classifier = False

    # ------------------------------------------------------------------ checks

    def _resolve_params(self, n_samples: int, n_features: int) -> dict:
        """Check the hyper-parameters and turn fractions/strings into counts."""
        check_option(self.criterion, "criterion", tuple(self._criteria))

        check_scalar_param(self.max_depth, "max_depth", kind=numbers.Integral, low=1, allow_none=True)
        max_depth = _MAX_DEPTH if self.max_depth is None else int(self.max_depth)

        check_count_or_fraction(self.min_samples_leaf, "min_samples_leaf", min_count=1,
                                fraction_high_inclusive=False)
        if isinstance(self.min_samples_leaf, numbers.Integral):
            min_samples_leaf = int(self.min_samples_leaf)
        else:
            # a fraction of the training set
            min_samples_leaf = int(ceil(self.min_samples_leaf * n_samples))

        check_count_or_fraction(self.min_samples_split, "min_samples_split", min_count=2)
        if isinstance(self.min_samples_split, numbers.Integral):
            min_samples_split = int(self.min_samples_split)
        else:
            min_samples_split = max(2, int(ceil(self.min_samples_split * n_samples)))
        # a node that cannot give min_samples_leaf to both children cannot be split
        min_samples_split = max(min_samples_split, 2 * min_samples_leaf)

        mf = self.max_features
        is_int = isinstance(mf, numbers.Integral) and not isinstance(mf, bool)
        is_real = isinstance(mf, numbers.Real) and not isinstance(mf, bool)
        if mf is None:
            max_features = n_features
        elif isinstance(mf, str) and mf in ("sqrt", "log2"):
            root = np.sqrt(n_features) if mf == "sqrt" else np.log2(n_features)
            max_features = max(1, int(root))
        elif is_int and 1 <= mf <= n_features:
            max_features = int(mf)
        elif is_real and not is_int and 0.0 < mf <= 1.0:
            # a fraction of the features
            max_features = max(1, int(mf * n_features))
        else:
            shown = repr(float(mf)) if is_real and not is_int else f"{type(mf).__name__} {mf!r}"
            raise InvalidParameterError(
                f"max_features must be None, 'sqrt', 'log2', an int in [1, n_features={n_features}] "
                f"or a real number in (0, 1]; got {shown}.")

        check_scalar_param(self.min_impurity_decrease, "min_impurity_decrease",
                           kind=numbers.Real, low=0.0)
        return dict(max_depth=max_depth, min_samples_leaf=min_samples_leaf,
                    min_samples_split=min_samples_split, max_features=max_features,
                    min_impurity_decrease=float(self.min_impurity_decrease))

    # ------------------------------------------------------------------- growth

    def _grow(self, X: np.ndarray, y_float: np.ndarray, sample_weight, n_outputs: int,
              presorted: np.ndarray | None) -> None:
        """Grow the tree on validated float32 ``X`` and float64 targets."""
        n_samples, n_features = X.shape
        params = self._resolve_params(n_samples, n_features)
        sw = check_sample_weight(sample_weight, n_samples)
        rng = check_random_state(self.random_state)
        seed = int(rng.integers(0, np.iinfo(np.int64).max))

        # Fortran order: each feature's column is contiguous; X.T is then a C-ordered
        # (n_features, n_samples) view, the layout the builder reads
        X = np.asfortranarray(X, dtype=np.float32)
        if not X.flags.writeable:
            X = X.copy(order="F")
        if presorted is None:
            order = presort(X)
        else:
            order = np.asarray(presorted)
            if order.shape != (n_features, n_samples):
                raise ValueError(
                    f"presorted must have shape (n_features, n_samples) = {(n_features, n_samples)}; "
                    f"got {order.shape}.")
            order = np.ascontiguousarray(order, dtype=np.int32)
            if n_samples and (order.min() < 0 or order.max() >= n_samples):
                raise ValueError(f"presorted must hold sample indices in [0, {n_samples}).")
        positive = sw > 0
        if not positive.all():
            # samples of zero weight take no part in the tree (nor in its sample counts)
            order = _kernels.keep_samples(order, positive.view(np.int8))
        elif presorted is not None:
            order = order.copy()  # the builder reorders it in place

        # Regression targets whose squares would overflow (or underflow) are grown on y / s,
        # s a power of two: every split is the same (exactly), means scale by s, variances by s^2.
        y_scale = 1.0 if self._is_classifier else overflow_safe_scale(max_abs(y_float), n_samples)
        min_impurity_decrease = params["min_impurity_decrease"]
        if y_scale != 1.0:
            y_float = y_float / y_scale
            min_impurity_decrease = min_impurity_decrease / y_scale / y_scale
        (left, right, feature, threshold, value, impurity, n_node, w_node, depth) = _build_tree(
            X.T, np.ascontiguousarray(y_float, dtype=np.float64), sw, order, int(n_outputs),
            int(self._criteria[self.criterion]), params["max_depth"], params["min_samples_split"],
            params["min_samples_leaf"], params["max_features"],
            min_impurity_decrease, seed)

        self.children_left_ = left
        self.children_right_ = right
        self.feature_ = feature
        self.threshold_ = threshold
        self.value_ = value
        self.impurity_ = impurity
        self.n_node_samples_ = n_node
        self.weighted_n_node_samples_ = w_node
        self.depth_ = int(depth)
        self.max_features_ = params["max_features"]
        self.feature_importances_ = self._importances(n_features)  # (scale free)
        if y_scale != 1.0:
            self.value_ = value * y_scale
            with np.errstate(over="ignore"):
                self.impurity_ = impurity * y_scale * y_scale  # inf if beyond float64

    def _importances(self, n_features: int) -> np.ndarray:
        """Normalised total weighted impurity decrease per feature."""
        internal = np.flatnonzero(self.children_left_ != TREE_LEAF)
        w, imp = self.weighted_n_node_samples_, self.impurity_
        left, right = self.children_left_[internal], self.children_right_[internal]
        # W_t I_t - W_L I_L - W_R I_R, for each internal node t
        decrease = w[internal] * imp[internal] - w[left] * imp[left] - w[right] * imp[right]
        importances = np.zeros(n_features, dtype=np.float64)
        np.add.at(importances, self.feature_[internal], decrease)
        importances /= w[0]
        total = importances.sum()
        if total > 0:
            importances /= total
        return importances

    # --------------------------------------------------------------- prediction

    def _validate_X_predict(self, X, check_input: bool) -> np.ndarray:
        check_is_fitted(self)
        if check_input:
            X = validate_data(self, X, dtype=np.float32, reset=False)
        X = np.ascontiguousarray(X, dtype=np.float32)
        if not X.flags.writeable:
            X = X.copy()
        return X

    def apply(self, X, check_input: bool = True) -> np.ndarray:
        """Index of the leaf each sample ends in.

        Parameters
        ----------
        X : array-like (n_samples, n_features)
        check_input : bool
            ``False`` skips validation (for callers passing float32 arrays they checked).

        Returns
        -------
        leaves : int64 array (n_samples,)
        """
        X = self._validate_X_predict(X, check_input)
        return _kernels.apply_tree(X, self.children_left_, self.children_right_,
                                   self.feature_, self.threshold_)

    def decision_path(self, X, check_input: bool = True):
        """Which nodes each sample passes through, as scikit-learn returns it.

        Returns
        -------
        indicator : scipy.sparse.csr_matrix (n_samples, n_nodes)
            Entry (i, t) is 1 when sample i visits node t; row i's ``indices`` list the
            path from the root to the leaf in order.
        """
        from scipy.sparse import csr_matrix

        X = self._validate_X_predict(X, check_input)
        indptr, indices = _kernels.decision_paths(X, self.children_left_, self.children_right_,
                                                  self.feature_, self.threshold_)
        data = np.ones(indices.shape[0], dtype=np.int64)
        return csr_matrix((data, indices, indptr), shape=(X.shape[0], self.children_left_.shape[0]))

    def get_depth(self) -> int:
        """Depth of the tree: the number of tests on the longest root-to-leaf path."""
        check_is_fitted(self)
        return self.depth_

    def get_n_leaves(self) -> int:
        """Number of leaves."""
        check_is_fitted(self)
        return int(np.sum(self.children_left_ == TREE_LEAF))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


class DecisionTreeClassifier(ClassifierMixin, _BaseDecisionTree):
    """CART classification tree (Gini or entropy impurity).

    Parameters
    ----------
    criterion : {"gini", "entropy"}, default="gini"
        Impurity: Gini index 1 - sum_k p_k^2, or entropy -sum_k p_k log2 p_k.
    max_depth : int or None, default=None
        Maximum number of tests from the root to a leaf; ``None`` grows until the
        leaves are pure or the size rules stop.
    min_samples_split : int or float, default=2
        A node needs at least this many samples to be split (a float is a fraction
        of the training set, rounded up).
    min_samples_leaf : int or float, default=1
        Every leaf keeps at least this many samples (a float is a fraction).
    max_features : None, int, float, "sqrt" or "log2", default=None
        Features drawn at random (without replacement) at each node; the best split
        among them is taken.  ``None`` searches all features in index order, so the
        tree does not depend on ``random_state``.
    min_impurity_decrease : float, default=0.0
        A split is made only if its weighted impurity decrease
        (W_t / W) * (I_t - W_L/W_t I_L - W_R/W_t I_R) is at least this.
    random_state : None, int or numpy.random.Generator, default=None
        Draws the features when ``max_features`` is below the number of features.

    Attributes
    ----------
    classes_ : ndarray (n_classes,)
    n_classes_ : int
    n_features_in_ : int
    max_features_ : int
    feature_importances_ : ndarray (n_features,)
        Normalised total weighted impurity decrease of each feature's splits.
    children_left_, children_right_, feature_, threshold_, value_, impurity_,
    n_node_samples_, weighted_n_node_samples_ : ndarrays (n_nodes, ...)
        The tree, as parallel arrays (see the module docstring).
    depth_ : int

    Examples
    --------
    >>> from mlatlas.datasets import load
    >>> from mlatlas.supervised import DecisionTreeClassifier
    >>> iris = load("iris")
    >>> tree = DecisionTreeClassifier(max_depth=2).fit(iris.X, iris.y)
    >>> print(tree.export_text(iris.feature_names))
    |--- petal length (cm) <= 2.45
    |   |--- class: 0  (samples: 50, proportion: 1.00)
    |--- petal length (cm) >  2.45
    |   |--- petal width (cm) <= 1.75
    |   |   |--- class: 1  (samples: 54, proportion: 0.91)
    |   |--- petal width (cm) >  1.75
    |   |   |--- class: 2  (samples: 46, proportion: 0.98)
    >>> tree.explain(iris.X[0], iris.feature_names)[0]
    'petal length (cm) <= 2.45 (value 1.40): go left'
    """

    _criteria = {"gini": _kernels.GINI, "entropy": _kernels.ENTROPY}
    _is_classifier = True

    def __init__(self, criterion="gini", max_depth=None, min_samples_split=2, min_samples_leaf=1,
                 max_features=None, min_impurity_decrease=0.0, random_state=None):
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.min_impurity_decrease = min_impurity_decrease
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None, presorted=None, check_input=True):
        """Grow the tree.

        Parameters
        ----------
        X : array-like (n_samples, n_features)
            Stored as float32 (like scikit-learn).
        y : array-like (n_samples,)
            Class labels (numbers or strings).
        sample_weight : array-like (n_samples,), optional
            Non-negative weights; samples of weight 0 are ignored.
        presorted : int array (n_features, n_samples), optional
            :func:`presort` of ``X`` (as float32), when the caller already has it
            (an ensemble fitting many trees on the same ``X``).  Each row must sort
            its feature; this is not checked.
        check_input : bool, default=True
            ``False`` skips validation, for callers (ensembles) passing a float32
            ``X`` of shape (n_samples, n_features) and a 1-D ``y`` they already checked.

        Returns
        -------
        self
        """
        if check_input:
            X, y = validate_data(self, X, y, dtype=(np.float64, np.float32))
            X = float32_features(X)
            check_classification_targets(y)
        else:
            self.n_features_in_ = X.shape[1]
        self.classes_, y_index = np.unique(y, return_inverse=True)
        self.n_classes_ = int(self.classes_.shape[0])
        self._grow(X, y_index.astype(np.float64), sample_weight, self.n_classes_, presorted)
        return self

    def predict_proba(self, X, check_input: bool = True) -> np.ndarray:
        """Class proportions of the training samples in each sample's leaf, (n_samples, n_classes)."""
        leaves = self.apply(X, check_input=check_input)
        return self.value_[leaves]

    def predict_log_proba(self, X) -> np.ndarray:
        """Logarithm of :meth:`predict_proba` (``-inf`` for a class absent from the leaf)."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X, check_input: bool = True) -> np.ndarray:
        """The majority class of each sample's leaf (the first one on ties), (n_samples,)."""
        proba = self.predict_proba(X, check_input=check_input)
        return self.classes_[np.argmax(proba, axis=1)]

    def _leaf_text(self, node: int, decimals: int, class_names=None) -> str:
        k = int(np.argmax(self.value_[node]))
        label = class_names[k] if class_names is not None else self.classes_[k]
        share = _format_number(self.value_[node, k], decimals)
        return f"class: {label}  (samples: {self.n_node_samples_[node]}, proportion: {share})"


class DecisionTreeRegressor(RegressorMixin, _BaseDecisionTree):
    """CART regression tree (squared error): each leaf predicts its samples' mean.

    Parameters
    ----------
    criterion : {"squared_error"}, default="squared_error"
        Impurity: the weighted variance of the targets in a node.
    max_depth, min_samples_split, min_samples_leaf, max_features,
    min_impurity_decrease, random_state
        As for :class:`DecisionTreeClassifier`.

    Attributes
    ----------
    n_features_in_, max_features_, feature_importances_, children_left_,
    children_right_, feature_, threshold_, value_, impurity_, n_node_samples_,
    weighted_n_node_samples_, depth_
        As for :class:`DecisionTreeClassifier`; ``value_`` is (n_nodes, 1), the mean.

    Examples
    --------
    >>> import numpy as np
    >>> from mlatlas.supervised import DecisionTreeRegressor
    >>> X = np.arange(8.0).reshape(-1, 1)
    >>> tree = DecisionTreeRegressor(max_depth=1).fit(X, [1, 1, 1, 1, 5, 5, 5, 5])
    >>> tree.predict([[2.0], [6.0]]).tolist()
    [1.0, 5.0]
    """

    _criteria = {"squared_error": _kernels.SQUARED_ERROR}

    def __init__(self, criterion="squared_error", max_depth=None, min_samples_split=2,
                 min_samples_leaf=1, max_features=None, min_impurity_decrease=0.0,
                 random_state=None):
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.min_impurity_decrease = min_impurity_decrease
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None, presorted=None, check_input=True):
        """Grow the tree (see :meth:`DecisionTreeClassifier.fit`); ``y`` is real-valued."""
        if check_input:
            X, y = validate_data(self, X, y, dtype=(np.float64, np.float32), y_numeric=True)
            X = float32_features(X)
        else:
            self.n_features_in_ = X.shape[1]
        self._grow(X, np.asarray(y, dtype=np.float64), sample_weight, 1, presorted)
        return self

    def predict(self, X, check_input: bool = True) -> np.ndarray:
        """Mean training target of each sample's leaf, (n_samples,)."""
        leaves = self.apply(X, check_input=check_input)
        return self.value_[leaves, 0]

    def _leaf_text(self, node: int, decimals: int, class_names=None) -> str:
        v = _format_number(self.value_[node, 0], decimals)
        return f"value: {v}  (samples: {self.n_node_samples_[node]})"
