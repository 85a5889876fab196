"""Registry entries for k-nearest neighbours: classifier and regressor against scikit-learn.

Both run through the standard fit/predict comparison on standardized features (KNN
measures distances, so a feature in large units would otherwise decide alone).  The
figures show what the notes stress about KNN: how much the result depends on k.
"""

from __future__ import annotations

import numpy as np

from ... import plots
from ...supervised.neighbors import KNeighborsClassifier, KNeighborsRegressor
from ..registry import Entry, register

_SHARED = ("n_neighbors", "weights", "p")
_BOUNDARY_KS = (1, 7, 30, 120)


def _reference_params(params: dict) -> dict:
    """The parameters scikit-learn understands the same way (``n_jobs`` differs)."""
    return {key: params[key] for key in _SHARED if key in params}


def _sklearn_classifier(params: dict):
    from sklearn.neighbors import KNeighborsClassifier as SkKNeighborsClassifier

    return SkKNeighborsClassifier(**_reference_params(params))


def _sklearn_regressor(params: dict):
    from sklearn.neighbors import KNeighborsRegressor as SkKNeighborsRegressor

    return SkKNeighborsRegressor(**_reference_params(params))


def _k_grid(n_train: int, largest: int = 40) -> np.ndarray:
    """1, 2, ..., ``largest`` (capped by the training-set size)."""
    return np.arange(1, min(largest, n_train) + 1)


def _fig_boundaries(ctx):
    """Decision regions on two moons for k = 1, 7, 30, 120: from jagged to over-smooth."""
    from sklearn.model_selection import train_test_split

    from ... import datasets as ds

    moons = ds.load("moons", n_samples=300, noise=0.3, random_state=ctx.seed)
    X_train, X_test, y_train, y_test = train_test_split(
        moons.X, moons.y, test_size=0.3, random_state=ctx.seed, stratify=moons.y)
    fig, axes = plots.figure(1, len(_BOUNDARY_KS), size=3.4)
    for ax, k in zip(axes[0], _BOUNDARY_KS):
        model = ctx.estimator(n_neighbors=k).fit(X_train, y_train)
        accuracy = float(np.mean(model.predict(X_test) == y_test))
        plots.plot_decision_boundary(ax, model, X_train, y_train, resolution=150,
                                     title=f"k = {k}: test accuracy {accuracy:.2f}")
    fig.suptitle(f"KNN on two moons ({ctx.params.get('weights', 'uniform')} weights): "
                 "small k follows the noise, large k blurs the boundary")
    return plots.save(fig, ctx.path("knn-boundaries-moons"))


def _fig_accuracy_vs_k(ctx):
    """Train and test accuracy against k on the run's split (ours, with scikit-learn's on top)."""
    ks = _k_grid(ctx.X_train.shape[0])
    train_acc, test_acc = [], []
    for k in ks:
        model = ctx.estimator(n_neighbors=int(k)).fit(ctx.X_train, ctx.y_train)
        train_acc.append(np.mean(model.predict(ctx.X_train) == ctx.y_train))
        test_acc.append(np.mean(model.predict(ctx.X_test) == ctx.y_test))
    ref_ks = ks[::8]  # scikit-learn at every 8th k, to show that the curves coincide
    ref_acc = [np.mean(_sklearn_classifier({**ctx.params, "n_neighbors": int(k)})
                       .fit(ctx.X_train, ctx.y_train).predict(ctx.X_test) == ctx.y_test) for k in ref_ks]
    fig, axes = plots.figure(1, 1, size=5.5)
    ax = axes[0, 0]
    ax.plot(ks, train_acc, "-", color="tab:blue", label="train (mlatlas)")
    ax.plot(ks, test_acc, "-", color="tab:red", label="test (mlatlas)")
    ax.plot(ref_ks, ref_acc, "x", color="black", markersize=5, label="test (scikit-learn)")
    best = int(ks[int(np.argmax(test_acc))])
    ax.axvline(best, color="grey", linestyle=":", label=f"best test k = {best}")
    ax.set_xlabel("k (number of neighbours)")
    ax.set_ylabel("accuracy")
    ax.set_title(f"KNN accuracy against k on {ctx.dataset.name} "
                 f"({ctx.params.get('weights', 'uniform')} weights)")
    ax.legend(loc="lower left")
    return plots.save(fig, ctx.path("knn-accuracy-vs-k"))


def _fig_regression_vs_k(ctx):
    """Test R^2 against k for both weightings, and predicted against true targets."""
    from sklearn.metrics import r2_score

    ks = _k_grid(ctx.X_train.shape[0], largest=60)
    fig, axes = plots.figure(1, 2, size=4.8)
    ax = axes[0, 0]
    for weights, colour in (("uniform", "tab:blue"), ("distance", "tab:orange")):
        scores = [r2_score(ctx.y_test, ctx.estimator(n_neighbors=int(k), weights=weights)
                           .fit(ctx.X_train, ctx.y_train).predict(ctx.X_test)) for k in ks]
        ax.plot(ks, scores, "-", color=colour, label=f'weights="{weights}"')
    ax.set_xlabel("k (number of neighbours)")
    ax.set_ylabel("test $R^2$")
    ax.set_title(f"KNN regression on {ctx.dataset.name}: $R^2$ against k")
    ax.legend(loc="lower right")

    ax = axes[0, 1]
    predicted = ctx.ours.predict(ctx.X_test)
    ax.scatter(ctx.y_test, predicted, s=12, alpha=0.7, edgecolors="none")
    low, high = float(np.min(ctx.y_test)), float(np.max(ctx.y_test))
    ax.plot([low, high], [low, high], "k--", linewidth=1)
    ax.set_xlabel("true target")
    ax.set_ylabel("predicted")
    ax.set_title(f"k = {ctx.ours.n_neighbors}: predictions on the test split")
    return plots.save(fig, ctx.path("knn-regression-vs-k"))


register(Entry(
    name="knn-classifier", family="neighbors",
    title="k-nearest neighbours classifier (exact brute-force search, majority or distance-weighted vote)",
    estimator=KNeighborsClassifier,
    reference=_sklearn_classifier,
    reference_name="sklearn.neighbors.KNeighborsClassifier",
    dataset="digits", datasets=("digits", "iris", "moons", "wine", "breast_cancer"),
    task="classification", preprocess="standardize",
    params={"n_neighbors": 5, "weights": "uniform", "p": 2}, demo_params={},
    figures=(_fig_boundaries, _fig_accuracy_vs_k),
))

register(Entry(
    name="knn-regressor", family="neighbors",
    title="k-nearest neighbours regressor (mean or distance-weighted mean of the neighbours)",
    estimator=KNeighborsRegressor,
    reference=_sklearn_regressor,
    reference_name="sklearn.neighbors.KNeighborsRegressor",
    dataset="diabetes", datasets=("diabetes", "linear"),
    task="regression", preprocess="standardize",
    params={"n_neighbors": 5, "weights": "uniform", "p": 2}, demo_params={},
    figures=(_fig_regression_vs_k,),
))
