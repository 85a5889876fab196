"""ID3: a classification tree with multiway splits on categorical features.

ID3 (Quinlan, 1986) grows a tree top-down.  At each node it measures how mixed the
class labels are with the Shannon entropy (in bits)

    H(S) = - sum_k p_k log2 p_k,        p_k = share of class k in the node's samples S,

and, for every feature A not yet tested on the path from the root, the information
gain of splitting S into one child per value v of A:

    Gain(S, A) = H(S) - sum_v |S_v| / |S| * H(S_v),      S_v = {x in S : x_A = v}.

The node tests the feature with the largest gain and gets one child per value seen
there; each child repeats the procedure on its own samples, without the features
already used above it.  A node becomes a leaf when it is pure, when no untested
feature takes two or more values in it, when ``max_depth`` is reached or when it
holds fewer than ``min_samples_split`` samples.  A leaf predicts its majority class
and its class shares are the predicted probabilities.

Unlike CART (``mlatlas.supervised.tree``), ID3 never thresholds a number: every
feature is a set of categories (strings or integers; floats are used as they are,
each distinct value a category).  A value never seen at a node during training
(or never seen at all) sends the sample no further: it gets that node's majority
class and class shares.

References
----------
J. R. Quinlan, "Induction of decision trees", Machine Learning 1, 81-106 (1986).
T. Mitchell, *Machine Learning* (1997), chapter 3: the 14-day "play tennis" table.
"""

from __future__ import annotations

import numbers
from typing import Any, Hashable

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..base import check_count_or_fraction, check_scalar_param

__all__ = ["ID3Classifier", "entropy", "information_gain"]

_LEAF = -1


def entropy(counts: np.ndarray) -> np.ndarray:
    """Shannon entropy in bits of class counts along the last axis.

    Parameters
    ----------
    counts : array of shape (..., n_classes)
        Non-negative class counts (or weights).

    Returns
    -------
    ndarray of shape (...)
        ``-sum_k p_k log2 p_k`` with ``0 log 0 = 0``; an empty row has entropy 0.

    Examples
    --------
    >>> float(entropy(np.array([9, 5])))  # doctest: +ELLIPSIS
    0.9402...
    """
    counts = np.asarray(counts, dtype=float)
    total = counts.sum(axis=-1, keepdims=True)
    # p_k = n_k / n  (an empty node gets p = 0 everywhere)
    p = np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)
    # H = -sum_k p_k log2 p_k, skipping p_k = 0
    logp = np.log2(p, out=np.zeros_like(p), where=p > 0)
    return np.abs(-(p * logp).sum(axis=-1))  # abs: a pure node gives 0.0, not -0.0


def _split_counts(codes: np.ndarray, y: np.ndarray, n_values: int, n_classes: int) -> np.ndarray:
    """Class counts per value of one categorical feature: (n_values, n_classes)."""
    flat = np.bincount(codes * n_classes + y, minlength=n_values * n_classes)
    return flat.reshape(n_values, n_classes)


def _gain(counts: np.ndarray) -> float:
    """Information gain of a split, given its (n_values, n_classes) count table."""
    n_v = counts.sum(axis=1)  # (n_values,) samples per child
    n = n_v.sum()
    # Gain = H(S) - sum_v |S_v|/|S| H(S_v)
    return float(entropy(counts.sum(axis=0)) - np.dot(n_v / n, entropy(counts)))


def information_gain(x: Any, y: Any) -> float:
    """Information gain (bits) of splitting labels ``y`` by the categories ``x``.

    Examples
    --------
    >>> wind = ["weak", "strong", "weak", "weak", "weak", "strong", "strong",
    ...         "weak", "weak", "weak", "strong", "strong", "weak", "strong"]
    >>> play = ["no", "no", "yes", "yes", "yes", "no", "yes",
    ...         "no", "yes", "yes", "yes", "yes", "yes", "no"]
    >>> round(information_gain(wind, play), 3)
    0.048
    """
    x_codes = np.unique(_as_keys(np.asarray(x, dtype=object)), return_inverse=True)[1]
    y_codes = np.unique(np.asarray(y), return_inverse=True)[1]
    counts = _split_counts(x_codes.ravel(), y_codes.ravel(), int(x_codes.max()) + 1, int(y_codes.max()) + 1)
    return _gain(counts)


def _key(value: Any) -> Hashable:
    """The category a cell stands for: the value itself, or its repr if unhashable."""
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def _as_keys(column: np.ndarray) -> np.ndarray:
    if column.dtype.kind != "O":
        return column
    return np.array([_key(v) for v in column], dtype=object)


def _sorted_categories(column: np.ndarray) -> np.ndarray:
    """Distinct values of one feature column, sorted (by type name then str if mixed)."""
    column = _as_keys(column)
    try:
        return np.unique(column)
    except TypeError:  # mixed types (e.g. 1 and "a") cannot be compared directly
        distinct = list(dict.fromkeys(column.tolist()))
        distinct.sort(key=lambda v: (type(v).__name__, str(v)))
        out = np.empty(len(distinct), dtype=object)
        out[:] = distinct
        return out


class ID3Classifier(ClassifierMixin, BaseEstimator):
    """ID3 decision tree: multiway splits on categorical features by information gain.

    Parameters
    ----------
    max_depth : int or None, default=None
        Largest depth of the tree (the root has depth 0); ``None`` grows until the
        other rules stop it.
    min_samples_split : int >= 2 or float in (0, 1], default=2
        A node with fewer samples becomes a leaf (a float is a fraction of the
        training set, rounded up).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` was a DataFrame with string column names.
    categories_ : list of ndarray
        The sorted categories seen for each feature during ``fit``.
    information_gain_ : ndarray of shape (n_features,)
        Gain in bits of splitting the whole training set on each feature (the root's
        candidates; the root tests the largest).
    tree_ : dict of ndarray
        The fitted tree as parallel arrays indexed by node id (root = 0):
        ``feature`` (tested feature, -1 for a leaf), ``child_start`` (where this node's
        slice of ``children`` begins), ``children`` (for a node testing feature j, the
        ``len(categories_[j])`` entries from ``child_start`` hold the child for each
        category, -1 for a category not seen at that node), ``value`` (class counts,
        (n_nodes, n_classes)), ``n_samples``, ``depth``, ``entropy`` and ``gain``
        (bits; 0 at leaves), ``parent`` and ``category`` (the code of the category
        leading to the node, -1 at the root).

    Examples
    --------
    >>> X = [["sunny", "hot"], ["sunny", "mild"], ["rain", "mild"], ["overcast", "hot"]]
    >>> y = ["no", "no", "yes", "yes"]
    >>> clf = ID3Classifier().fit(X, y)
    >>> clf.predict([["rain", "hot"], ["sunny", "cool"]]).tolist()
    ['yes', 'no']
    """

    def __init__(self, max_depth: int | None = None, min_samples_split: int | float = 2):
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags

    # ------------------------------------------------------------------ fitting
    def _check_params(self, n_samples: int) -> tuple[int, int]:
        check_scalar_param(self.max_depth, "max_depth", kind=numbers.Integral, low=0, allow_none=True)
        check_count_or_fraction(self.min_samples_split, "min_samples_split", min_count=2)
        if isinstance(self.min_samples_split, numbers.Integral):
            min_split = int(self.min_samples_split)
        else:
            min_split = max(2, int(np.ceil(self.min_samples_split * n_samples)))
        max_depth = np.iinfo(np.int32).max if self.max_depth is None else int(self.max_depth)
        return max_depth, min_split

    def fit(self, X: Any, y: Any) -> "ID3Classifier":
        """Grow the tree on categorical ``X`` (n_samples, n_features) and labels ``y``.

        ``X`` may hold strings, integers or any hashable values (an object array or a
        DataFrame with mixed columns is fine); missing values (NaN) are refused.
        """
        X, y = validate_data(self, X, y, dtype=None)
        check_classification_targets(y)
        max_depth, min_split = self._check_params(X.shape[0])
        self.classes_, y_codes = np.unique(y, return_inverse=True)
        n_classes = len(self.classes_)

        self.categories_ = [_sorted_categories(X[:, j]) for j in range(X.shape[1])]
        codes = self._encode(X)  # (n_samples, n_features) category codes, all >= 0 here
        n_values = np.array([len(c) for c in self.categories_])

        nodes: dict[str, list] = {k: [] for k in (
            "feature", "child_start", "value", "n_samples", "depth", "entropy", "gain", "parent", "category")}
        children: list[int] = []

        def new_node(rows: np.ndarray, depth: int, parent: int, category: int) -> int:
            counts = np.bincount(y_codes[rows], minlength=n_classes)
            node = len(nodes["feature"])
            for key, val in (("feature", _LEAF), ("child_start", -1), ("value", counts),
                             ("n_samples", len(rows)), ("depth", depth), ("entropy", float(entropy(counts))),
                             ("gain", 0.0), ("parent", parent), ("category", category)):
                nodes[key].append(val)
            return node

        root_gains = np.zeros(X.shape[1])
        # Depth-first growth with an explicit stack: (node id, its rows, features still free).
        stack = [(new_node(np.arange(X.shape[0]), 0, -1, -1), np.arange(X.shape[0]), np.ones(X.shape[1], bool))]
        while stack:
            node, rows, free = stack.pop()
            counts = nodes["value"][node]
            if (np.count_nonzero(counts) <= 1 or nodes["depth"][node] >= max_depth
                    or len(rows) < min_split):
                continue
            best_feature, best_gain = -1, -np.inf
            for j in np.flatnonzero(free):
                table = _split_counts(codes[rows, j], y_codes[rows], n_values[j], n_classes)
                if np.count_nonzero(table.sum(axis=1)) < 2:
                    continue  # a single value here: testing it would not split the node
                gain = _gain(table)
                if node == 0:
                    root_gains[j] = gain
                # ties (up to rounding) go to the lowest feature index
                if gain > best_gain + 1e-12:
                    best_feature, best_gain = j, gain
            if best_feature < 0:
                continue  # every remaining feature is constant in this node: a leaf
            nodes["feature"][node] = best_feature
            nodes["gain"][node] = best_gain
            nodes["child_start"][node] = len(children)
            slots = [-1] * n_values[best_feature]
            children.extend(slots)
            child_free = free.copy()
            child_free[best_feature] = False  # each feature at most once on a path
            column = codes[rows, best_feature]
            pushed = []
            for value in np.unique(column):
                child_rows = rows[column == value]
                child = new_node(child_rows, nodes["depth"][node] + 1, node, int(value))
                children[nodes["child_start"][node] + value] = child
                pushed.append((child, child_rows, child_free))
            stack.extend(reversed(pushed))  # grow children in category order

        self.information_gain_ = root_gains
        self.tree_ = {
            "feature": np.asarray(nodes["feature"], dtype=np.int64),
            "child_start": np.asarray(nodes["child_start"], dtype=np.int64),
            "children": np.asarray(children, dtype=np.int64),
            "value": np.asarray(nodes["value"], dtype=np.float64).reshape(-1, n_classes),
            "n_samples": np.asarray(nodes["n_samples"], dtype=np.int64),
            "depth": np.asarray(nodes["depth"], dtype=np.int64),
            "entropy": np.asarray(nodes["entropy"], dtype=np.float64),
            "gain": np.asarray(nodes["gain"], dtype=np.float64),
            "parent": np.asarray(nodes["parent"], dtype=np.int64),
            "category": np.asarray(nodes["category"], dtype=np.int64),
        }
        return self

    def _encode(self, X: np.ndarray) -> np.ndarray:
        """Category codes of ``X`` (n_samples, n_features); -1 for a value never seen in fit."""
        codes = np.full(X.shape, -1, dtype=np.int64)
        for j, cats in enumerate(self.categories_):
            column = X[:, j]
            if column.dtype.kind in "iufb" and cats.dtype.kind in "iufb":
                # numbers: binary search in the sorted categories
                pos = np.clip(np.searchsorted(cats, column), 0, max(len(cats) - 1, 0))
                hit = cats[pos] == column
                codes[hit, j] = pos[hit]
            else:
                lookup = {v: i for i, v in enumerate(cats.tolist())}
                codes[:, j] = [lookup.get(_key(v), -1) for v in column.tolist()]
        return codes

    # --------------------------------------------------------------- prediction
    def _check_X(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "tree_")
        return validate_data(self, X, dtype=None, reset=False)

    def apply(self, X: Any) -> np.ndarray:
        """The node each sample ends in (a leaf, or the node where its category was unseen)."""
        codes = self._encode(self._check_X(X))
        feature, start, children = self.tree_["feature"], self.tree_["child_start"], self.tree_["children"]
        node = np.zeros(codes.shape[0], dtype=np.int64)
        active = feature[node] >= 0
        while active.any():
            rows = np.flatnonzero(active)
            code = codes[rows, feature[node[rows]]]
            nxt = np.full(rows.shape, -1)
            seen = code >= 0
            nxt[seen] = children[start[node[rows[seen]]] + code[seen]]
            moved = nxt >= 0
            node[rows[moved]] = nxt[moved]
            active[rows[~moved]] = False  # unseen category: stop at this node
            active[rows[moved]] = feature[nxt[moved]] >= 0
        return node

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class shares of the node each sample ends in: (n_samples, n_classes)."""
        leaf = self.apply(X)
        value = self.tree_["value"][leaf]
        return value / value.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        """Majority class of the node each sample ends in (ties: the first class)."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    # ---------------------------------------------------------------- inspection
    def get_depth(self) -> int:
        """Depth of the deepest leaf (a single-leaf tree has depth 0)."""
        check_is_fitted(self, "tree_")
        return int(self.tree_["depth"].max())

    def get_n_leaves(self) -> int:
        check_is_fitted(self, "tree_")
        return int(np.sum(self.tree_["feature"] == _LEAF))

    def _names(self, feature_names: Any) -> list[str]:
        if feature_names is not None:
            names = [str(n) for n in feature_names]
            if len(names) != self.n_features_in_:
                raise ValueError(
                    f"feature_names must have {self.n_features_in_} names; got {len(names)}.")
            return names
        if hasattr(self, "feature_names_in_"):
            return [str(n) for n in self.feature_names_in_]
        return [f"x[{j}]" for j in range(self.n_features_in_)]

    def export_text(self, feature_names: Any = None, decimals: int = 3) -> str:
        """The tree as indented text: one line per branch, the class and counts at leaves.

        Examples
        --------
        >>> clf = ID3Classifier().fit([["a"], ["b"], ["b"]], [0, 1, 1])
        >>> print(clf.export_text(["f"]))
        f  [gain 0.918 bits, 3 samples]
        |--- f = a: 0  [1, 0]
        |--- f = b: 1  [0, 2]
        """
        check_is_fitted(self, "tree_")
        names = self._names(feature_names)
        t = self.tree_
        lines: list[str] = []

        def counts(node: int) -> str:
            return "[" + ", ".join(f"{c:g}" for c in t["value"][node]) + "]"

        def majority(node: int) -> str:
            return str(self.classes_[np.argmax(t["value"][node])])

        def walk(node: int, indent: str) -> None:
            j = t["feature"][node]
            for code, child in enumerate(t["children"][t["child_start"][node]:][: len(self.categories_[j])]):
                if child < 0:
                    continue
                label = f"{indent}|--- {names[j]} = {self.categories_[j][code]}"
                if t["feature"][child] == _LEAF:
                    lines.append(f"{label}: {majority(child)}  {counts(child)}")
                else:
                    lines.append(f"{label}  -> {names[t['feature'][child]]} "
                                 f"[gain {t['gain'][child]:.{decimals}f} bits, {t['n_samples'][child]} samples]")
                    walk(child, indent + "|   ")

        if t["feature"][0] == _LEAF:
            return f"leaf: {majority(0)}  {counts(0)}"
        lines.append(f"{names[t['feature'][0]]}  [gain {t['gain'][0]:.{decimals}f} bits, "
                     f"{t['n_samples'][0]} samples]")
        walk(0, "")
        return "\n".join(lines)

    def explain(self, x: Any, feature_names: Any = None) -> list[str]:
        """The tests one sample ``x`` (n_features,) passes from the root to its node."""
        names = self._names(feature_names)
        x = np.asarray(x, dtype=object).reshape(1, -1)
        node = int(self.apply(x)[0])
        path = []
        while self.tree_["parent"][node] >= 0:
            parent = int(self.tree_["parent"][node])
            j = int(self.tree_["feature"][parent])
            path.append(f"{names[j]} = {self.categories_[j][self.tree_['category'][node]]}")
            node = parent
        path.reverse()
        end = int(self.apply(x)[0])
        label = self.classes_[np.argmax(self.tree_["value"][end])]
        kind = "leaf" if self.tree_["feature"][end] == _LEAF else "unseen category, majority"
        return path + [f"-> {label} ({kind})"]
