"""Registry entries ``linear-regression`` and ``logistic-regression``.

Each run fits ours and scikit-learn's on the same split and, besides the usual metrics,
reports how far apart the fitted coefficients are (they should agree to ~1e-8 for least
squares and to about the solvers' tolerance for logistic regression).

Figures
-------
linear-regression
    ``regression-line``: the fitted line (one feature) or observed against predicted
    (several features), the residuals against the prediction, and both libraries'
    coefficients side by side.  ``gradient-descent``: the loss of ``solver="gd"`` epoch
    by epoch, as its distance to the least-squares optimum.
logistic-regression
    ``moons-boundary``: on the two-moons data, the straight decision boundary, the
    probability surface P(y = 1 | x), and the same model on cubic features of (x1, x2),
    whose boundary can bend.  When the run's data is not 2-D the figure fits its own model
    on moons.  ``solvers``: the objective of L-BFGS, Newton and gradient descent
    iteration by iteration on the run's data, and our coefficients against
    scikit-learn's.
"""

from __future__ import annotations

import warnings

import numpy as np

from ... import datasets as ds
from ... import plots
from ...base import ConvergenceWarning
from ...supervised.linear import LinearRegression, LogisticRegression
from ..registry import Entry, register
from ..runner import standard_run

# ---------------------------------------------------------------------------
# linear-regression
# ---------------------------------------------------------------------------


def _reference_linear(params: dict):
    from sklearn.linear_model import LinearRegression as Reference

    return Reference(fit_intercept=params.get("fit_intercept", True))


def _run_linear(entry: Entry, ctx):
    result = standard_run(entry, ctx.dataset, ctx.params, ctx.seed, ctx)
    ours, ref = ctx.ours, ctx.reference
    scale = max(float(np.max(np.abs(ref.coef_))), 1e-300)
    result.comparison["max_coef_difference_relative"] = float(
        np.max(np.abs(ours.coef_ - ref.coef_)) / scale)
    result.comparison["intercept_difference"] = float(np.max(np.abs(
        np.asarray(ours.intercept_) - np.asarray(ref.intercept_))))
    result.details["n_iter"] = int(ours.n_iter_)
    return result


def _fig_regression_line(ctx):
    ours, ref = ctx.ours, ctx.reference
    X_test, y_test = ctx.X_test, ctx.y_test
    pred = ours.predict(X_test)
    fig, axes = plots.figure(1, 3)
    ax = axes[0, 0]
    if X_test.shape[1] == 1:
        # one feature: the data and the fitted line y = b + w x
        ax.scatter(ctx.X_train[:, 0], ctx.y_train, s=12, alpha=0.5, label="train")
        ax.scatter(X_test[:, 0], y_test, s=12, alpha=0.7, label="test")
        grid = np.linspace(min(ctx.X_train.min(), X_test.min()),
                           max(ctx.X_train.max(), X_test.max()), 100).reshape(-1, 1)
        ax.plot(grid[:, 0], ours.predict(grid), "k-", lw=2, label="mlatlas")
        ax.plot(grid[:, 0], ref.predict(grid), "r--", lw=1.5, label="scikit-learn")
        ax.set_xlabel(ctx.dataset.feature_names[0])
        ax.set_ylabel("y")
        ax.set_title(f"y = {float(ours.intercept_):.3g} + {float(ours.coef_[0]):.3g} x")
        ax.legend(loc="best", fontsize=8)
    else:
        # several features: each test point against its prediction; a perfect fit is y = x
        ax.scatter(pred, y_test, s=12, alpha=0.7)
        lo, hi = min(pred.min(), y_test.min()), max(pred.max(), y_test.max())
        ax.plot([lo, hi], [lo, hi], "k--", lw=1)
        ax.set_xlabel("predicted")
        ax.set_ylabel("observed")
        ax.set_title(f"test set, {X_test.shape[1]} features")

    ax = axes[0, 1]
    residuals = y_test - pred
    ax.scatter(pred, residuals, s=12, alpha=0.7)
    ax.axhline(0.0, color="k", lw=1)
    sd = float(np.std(residuals))
    ax.axhline(2 * sd, color="gray", ls=":", lw=1)
    ax.axhline(-2 * sd, color="gray", ls=":", lw=1)
    ax.set_xlabel("predicted")
    ax.set_ylabel("residual (observed - predicted)")
    ax.set_title(f"residuals: sd {sd:.3g} (dotted: +-2 sd)")

    ax = axes[0, 2]
    k = np.arange(ours.coef_.size)
    ax.bar(k - 0.2, np.ravel(ours.coef_), width=0.4, label="mlatlas")
    ax.bar(k + 0.2, np.ravel(ref.coef_), width=0.4, label="scikit-learn")
    names = ctx.dataset.feature_names
    if names is not None and len(names) == ours.coef_.size:
        ax.set_xticks(k, names, rotation=60, fontsize=7)
    diff = np.max(np.abs(ours.coef_ - ref.coef_)) / max(np.max(np.abs(ref.coef_)), 1e-300)
    ax.set_title(f"coefficients (max rel. diff {diff:.1e})")
    ax.legend(fontsize=8)
    return plots.save(fig, ctx.path("regression-line"))


def _fig_gradient_descent(ctx):
    exact = LinearRegression(fit_intercept=ctx.params.get("fit_intercept", True))
    exact.fit(ctx.X_train, ctx.y_train)
    r = ctx.y_train - exact.predict(ctx.X_train)
    best = 0.5 * float(np.mean(r * r))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gd = LinearRegression(solver="gd", fit_intercept=exact.fit_intercept, max_iter=3000,
                              tol=1e-10).fit(ctx.X_train, ctx.y_train)
    loss = gd.history_.column("loss")
    fig, axes = plots.figure(1, 2)
    ax = axes[0, 0]
    first = loss[:60]
    ax.plot(first, marker=".", label="gradient descent")
    ax.axhline(best, color="k", ls="--", lw=1, label="least squares (lstsq)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss = mean squared error / 2")
    ax.set_title(f"the first {len(first)} epochs")
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    ax.semilogy(np.maximum(loss - best, 1e-300))
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss - optimum")
    ax.set_title(f"gap to the optimum ({gd.n_iter_} epochs, step 1/L)", fontsize=10)
    return plots.save(fig, ctx.path("gradient-descent"))


register(Entry(
    name="linear-regression", family="linear",
    title="Least squares y = b0 + b1 x1 + ... + bn xn (closed form or gradient descent)",
    estimator=LinearRegression, reference=_reference_linear,
    reference_name="sklearn.linear_model.LinearRegression",
    dataset="diabetes", datasets=("diabetes", "linear"), task="regression",
    params={}, demo_params={},
    figures=(_fig_regression_line, _fig_gradient_descent), runner=_run_linear,
))


# ---------------------------------------------------------------------------
# logistic-regression
# ---------------------------------------------------------------------------

_SKLEARN_SOLVER = {"lbfgs": "lbfgs", "newton": "newton-cholesky", "gd": "lbfgs"}


def _reference_logistic(params: dict):
    from sklearn.linear_model import LogisticRegression as Reference

    return Reference(C=params.get("C", 1.0), fit_intercept=params.get("fit_intercept", True),
                     max_iter=params.get("max_iter", 100), tol=params.get("tol", 1e-4),
                     solver=_SKLEARN_SOLVER.get(params.get("solver", "lbfgs"), "lbfgs"))


def _run_logistic(entry: Entry, ctx):
    result = standard_run(entry, ctx.dataset, ctx.params, ctx.seed, ctx)
    ours, ref = ctx.ours, ctx.reference
    result.comparison["max_coef_difference"] = float(np.max(np.abs(ours.coef_ - ref.coef_)))
    result.comparison["max_intercept_difference"] = float(
        np.max(np.abs(ours.intercept_ - ref.intercept_)))
    result.comparison["max_probability_difference"] = float(np.max(np.abs(
        ours.predict_proba(ctx.X_test) - ref.predict_proba(ctx.X_test))))
    result.details["n_iter"] = {"mlatlas": int(ours.n_iter_),
                                "reference": int(np.max(ref.n_iter_))}
    return result


def _moons_model(ctx):
    """(model, X, y) on 2-D data: the run's own when it is 2-D, else a fresh fit on moons."""
    if ctx.X_train is not None and ctx.X_train.shape[1] == 2 and ctx.ours is not None:
        return ctx.ours, ctx.X_train, ctx.y_train, "run's training data"
    data = ds.load("moons", random_state=ctx.seed)
    X = (data.X - data.X.mean(axis=0)) / data.X.std(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = ctx.estimator().fit(X, data.y)
    return model, X, data.y, "moons (standardized)"


def _fig_moons(ctx):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    model, X, y, where = _moons_model(ctx)
    fig, axes = plots.figure(1, 3)
    acc = float(np.mean(model.predict(X) == y))
    plots.plot_decision_boundary(axes[0, 0], model, X, y,
                                 title=f"decision boundary, {where}\naccuracy {acc:.3f}")

    ax = axes[0, 1]
    xx, yy, prob = plots.decision_surface(model, X, method="predict_proba")
    surface = ax.contourf(xx, yy, prob, levels=np.linspace(0, 1, 11), cmap="coolwarm", alpha=0.8)
    ax.contour(xx, yy, prob, levels=[0.5], colors="k", linewidths=1.5)
    plots.scatter_classes(ax, X, np.searchsorted(np.unique(y), y))
    fig.colorbar(surface, ax=ax, fraction=0.046, pad=0.04)
    last = model.classes_[-1]
    formula = "sigma(b + w . x)" if len(model.classes_) == 2 else "softmax"
    ax.set_title(f"P(y = {last} | x) = {formula}\nblack: P = 0.5")
    ax.set_xticks([])
    ax.set_yticks([])

    # The model is linear in its inputs; on cubic features of (x1, x2) the boundary can bend.
    params = {**ctx.params, "max_iter": max(int(ctx.params.get("max_iter", 100)), 1000)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        curved = make_pipeline(PolynomialFeatures(3), StandardScaler(),
                               ctx.entry.estimator(**params)).fit(X, y)
    acc3 = float(np.mean(curved.predict(X) == y))
    plots.plot_decision_boundary(axes[0, 2], curved, X, y,
                                 title=f"same model on cubic features\naccuracy {acc3:.3f}")
    return plots.save(fig, ctx.path("moons-boundary"))


def _fig_solvers(ctx):
    X, y = ctx.X_train, ctx.y_train
    common = {k: v for k, v in ctx.params.items() if k in ("C", "fit_intercept")}
    histories = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for solver, max_iter in (("lbfgs", 1000), ("newton", 50), ("gd", 500)):
            model = LogisticRegression(solver=solver, max_iter=max_iter, tol=1e-9, **common)
            histories[solver] = model.fit(X, y).history_.column("objective")
    best = min(float(h.min()) for h in histories.values())
    fig, axes = plots.figure(1, 2)
    ax = axes[0, 0]
    for solver, objective in histories.items():
        marker = "." if len(objective) < 60 else None
        ax.semilogy(np.maximum(objective - best, 1e-16), marker=marker,
                    label=f"{solver} ({len(objective) - 1} it.)")
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlabel("iteration")
    ax.set_ylabel("objective - best found")
    ax.set_title("mean log-loss + ||W||^2 / (2 C n)")
    ax.legend(fontsize=8)

    ax = axes[0, 1]
    ours, ref = ctx.ours, ctx.reference
    ax.scatter(np.ravel(ref.coef_), np.ravel(ours.coef_), s=12)
    lo = float(min(ref.coef_.min(), ours.coef_.min()))
    hi = float(max(ref.coef_.max(), ours.coef_.max()))
    ax.plot([lo, hi], [lo, hi], "k--", lw=1)
    ax.set_xlabel("scikit-learn coefficient")
    ax.set_ylabel("mlatlas coefficient")
    diff = float(np.max(np.abs(ours.coef_ - ref.coef_)))
    ax.set_title(f"coefficients, max |difference| {diff:.1e}")
    return plots.save(fig, ctx.path("solvers"))


register(Entry(
    name="logistic-regression", family="linear",
    title="L2-penalised logistic regression, sigmoid or softmax (L-BFGS, Newton, gradient descent)",
    estimator=LogisticRegression, reference=_reference_logistic,
    reference_name="sklearn.linear_model.LogisticRegression",
    dataset="breast_cancer", datasets=("breast_cancer", "moons", "iris", "wine", "digits"),
    task="classification", preprocess="standardize",
    params={"max_iter": 1000, "tol": 1e-6}, demo_params={"max_iter": 1000, "tol": 1e-6},
    figures=(_fig_moons, _fig_solvers), runner=_run_logistic,
))
