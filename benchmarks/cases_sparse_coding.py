"""Benchmark: DictionaryLearning against scikit-learn's on the digits, same objective.

Both learn 32 atoms with alpha = 1 from the same SVD start on the 1797 digits (pixels
scaled to [0, 1], centred), up to 100 alternations with tol = 1e-8.  The timed step is
the fit; the quality figure is the final objective 1/2 ||X - CD||^2 + alpha ||C||_1 per
sample (lower is better; the two should agree within 1%).  scikit-learn runs with its
coordinate-descent coder (``fit_algorithm="cd"``, its faster option here) and, in a
second case, with its default LARS coder.
"""

from __future__ import annotations

import warnings

from .harness import case

PARAMS = {"n_components": 32, "alpha": 1.0, "max_iter": 100, "tol": 1e-8}


def _setup(quick: bool):
    from sklearn.datasets import load_digits

    X = load_digits().data / 16.0
    X = X - X.mean(axis=0)
    return X[:400] if quick else X


def _ours(X) -> float:
    from mlatlas.base import ConvergenceWarning
    from mlatlas.unsupervised import DictionaryLearning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = DictionaryLearning(**PARAMS, random_state=0).fit(X)
    return model.error_[-1] / X.shape[0]


def _reference(fit_algorithm):
    def run(X) -> float:
        from sklearn.decomposition import DictionaryLearning
        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = DictionaryLearning(**PARAMS, fit_algorithm=fit_algorithm, random_state=0).fit(X)
        return model.error_[-1] / X.shape[0]

    return run


for algorithm in ("cd", "lars"):
    case(
        name=f"sparse-coding: DictionaryLearning digits, 32 atoms (vs fit_algorithm={algorithm!r})",
        group="sparse_coding",
        setup=_setup,
        ours=_ours,
        reference=_reference(algorithm),
        reference_name=f"sklearn DictionaryLearning ({algorithm})",
        quality_name="objective per sample",
        target=1.5,
        repeats=3,
        quality_higher_is_better=False,
    )
