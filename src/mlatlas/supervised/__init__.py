"""Supervised learners: linear models, neighbours, trees, ensembles, SVM.

Names are imported lazily, so ``import mlatlas.supervised`` stays cheap.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_WHERE = {
    "LinearRegression": "linear_regression",
    "LogisticRegression": "logistic_regression",
    "KNeighborsClassifier": "neighbors",
    "KNeighborsRegressor": "neighbors",
    "DecisionTreeClassifier": "tree",
    "DecisionTreeRegressor": "tree",
    "ID3Classifier": "id3",
    "RandomForestClassifier": "forest",
    "RandomForestRegressor": "forest",
    "AdaBoostClassifier": "boosting",
    "SVC": "svm",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _WHERE)
