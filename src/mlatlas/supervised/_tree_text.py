"""Trees as text: ``export_text`` and ``explain`` for the CART estimators of ``tree.py``.

Reading a fitted tree needs only its node arrays (``children_left_``, ``feature_``,
``threshold_``, ``value_``...), so this mixin holds no part of the algorithm; each
estimator says how one of its leaves reads (``_leaf_text``).
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._tree_kernels import TREE_LEAF

__all__ = ["TreeTextMixin"]


def _format_number(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


class TreeTextMixin:
    """``export_text``, ``explain`` and their helpers, for a fitted tree."""

    def _feature_names(self, feature_names) -> list[str]:
        n = self.n_features_in_
        if feature_names is None:
            names = getattr(self, "feature_names_in_", None)
            if names is None:
                return [f"x[{j}]" for j in range(n)]
            return [str(v) for v in names]
        names = [str(v) for v in feature_names]
        if len(names) != n:
            raise ValueError(f"feature_names must have {n} entries (one per feature); got {len(names)}.")
        return names

    def _leaf_text(self, node: int, decimals: int, class_names=None) -> str:
        raise NotImplementedError

    def export_text(self, feature_names=None, *, class_names=None, max_depth: int | None = None,
                    decimals: int = 2) -> str:
        """The tree as indented text, one test or leaf per line.

        Parameters
        ----------
        feature_names : list of str, optional
            Defaults to the column names seen in ``fit`` or ``x[j]``.
        class_names : list of str, optional
            Classifier only: names for ``classes_`` (in that order).
        max_depth : int, optional
            Print only this many levels; deeper subtrees are summarised in one line.
        decimals : int
            Digits after the decimal point for thresholds and values.

        Returns
        -------
        str

        Examples
        --------
        >>> from mlatlas.supervised import DecisionTreeClassifier
        >>> tree = DecisionTreeClassifier().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
        >>> print(tree.export_text(["x"]))
        |--- x <= 1.50
        |   |--- class: 0  (samples: 2, proportion: 1.00)
        |--- x >  1.50
        |   |--- class: 1  (samples: 2, proportion: 1.00)
        """
        check_is_fitted(self)
        names = self._feature_names(feature_names)
        if class_names is not None and self._is_classifier and len(class_names) != len(self.classes_):
            raise ValueError(f"class_names must have {len(self.classes_)} entries; got {len(class_names)}.")
        lines: list[str] = []

        def visit(node: int, depth: int) -> None:
            indent = "|   " * depth + "|--- "
            if self.children_left_[node] == TREE_LEAF:
                lines.append(indent + self._leaf_text(node, decimals, class_names))
                return
            if max_depth is not None and depth >= max_depth:
                lines.append(indent + f"... subtree of {self._subtree_leaves(node)} leaves")
                return
            name = names[self.feature_[node]]
            t = _format_number(self.threshold_[node], decimals)
            lines.append(indent + f"{name} <= {t}")
            visit(int(self.children_left_[node]), depth + 1)
            lines.append(indent + f"{name} >  {t}")
            visit(int(self.children_right_[node]), depth + 1)

        if self.children_left_[0] == TREE_LEAF:
            lines.append("|--- " + self._leaf_text(0, decimals, class_names))
        else:
            visit(0, 0)
        return "\n".join(lines)

    def _subtree_leaves(self, node: int) -> int:
        stack, count = [node], 0
        while stack:
            n = stack.pop()
            if self.children_left_[n] == TREE_LEAF:
                count += 1
            else:
                stack.extend([int(self.children_left_[n]), int(self.children_right_[n])])
        return count

    def explain(self, x, feature_names=None, *, decimals: int = 2, class_names=None) -> list[str]:
        """The tests one sample passes on its way to a leaf, in order, then the leaf.

        Parameters
        ----------
        x : array-like (n_features,) or (1, n_features)
            One sample.
        feature_names : list of str, optional
            Defaults to the column names seen in ``fit`` or ``x[j]``.
        decimals : int
            Digits after the decimal point.

        Returns
        -------
        steps : list of str
            One line per test, e.g. ``"petal length (cm) <= 2.45 (value 1.40): go left"``,
            and a last line naming the leaf and its prediction.

        Examples
        --------
        >>> from mlatlas.supervised import DecisionTreeClassifier
        >>> tree = DecisionTreeClassifier().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
        >>> tree.explain([2.5], ["x"])
        ['x > 1.50 (value 2.50): go right', 'leaf 2: class: 1  (samples: 2, proportion: 1.00)']
        """
        check_is_fitted(self)
        row = np.asarray(x).reshape(1, -1) if np.ndim(x) == 1 else x  # (1, n_features)
        if np.ndim(row) != 2 or np.shape(row)[0] != 1:
            raise ValueError(f"explain expects one sample, shape (n_features,) or (1, n_features); got {np.shape(x)}.")
        X = self._validate_X_predict(row, True)
        names = self._feature_names(feature_names)
        steps = []
        node = 0
        while self.children_left_[node] != TREE_LEAF:
            j = int(self.feature_[node])
            t = _format_number(self.threshold_[node], decimals)
            v = _format_number(float(X[0, j]), decimals)
            # the same comparison as prediction: float32 feature against the threshold
            if X[0, j] <= self.threshold_[node]:
                steps.append(f"{names[j]} <= {t} (value {v}): go left")
                node = int(self.children_left_[node])
            else:
                steps.append(f"{names[j]} > {t} (value {v}): go right")
                node = int(self.children_right_[node])
        steps.append(f"leaf {node}: " + self._leaf_text(node, decimals, class_names))
        return steps
