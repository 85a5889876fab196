"""Supervised learners: linear models, neighbours, trees, ensembles, SVM.

Names are imported lazily, so ``import mlatlas.supervised`` stays cheap.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "LinearRegression": "linear",
    "LogisticRegression": "linear",
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

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return __all__
