"""Registry entries ``linear-regression`` and ``logistic-regression`` against scikit-learn's.

Each run compares ours and scikit-learn's on one split and, besides the usual metrics,
reports how far apart the fitted coefficients are (they should agree to ~1e-8 for least
squares and to about the solvers' tolerance for logistic regression).

Record
------
linear-regression
    ``split.*`` (the first feature, targets and our test predictions), ``coef.*`` (both
    libraries' coefficients), ``line.*`` (both fitted lines, one-feature data only),
    ``gd.loss`` (the loss of ``solver="gd"`` epoch by epoch; ``info["gd_best"]`` is the
    least-squares optimum).
logistic-regression
    ``moons.*``: 2-D data (the run's own when it is 2-D, else standardized two moons),
    the predicted class, P(last class | x) and the prediction of the same model on
    cubic features of (x1, x2), each on a 200 x 200 grid; ``solvers.*``: the objective
    of L-BFGS, Newton and gradient descent iteration by iteration on the run's data;
    ``coef.*``: both libraries' coefficients.
"""

from __future__ import annotations

import warnings

import numpy as np

from ... import plots
from ..registry import Entry, register
from ..runner import compare_on_split, decision_grid
from ..strings import translator

# ---------------------------------------------------------------------------- linear-regression


def run_linear(ctx):
    """Least squares (ours, scikit-learn) on one split; the gradient-descent path on the same data."""
    from sklearn.linear_model import LinearRegression as Reference

    from ...base import ConvergenceWarning
    from ...supervised import LinearRegression

    fit_intercept = ctx.params.get("fit_intercept", True)
    record, fit = compare_on_split(ctx, Reference(fit_intercept=fit_intercept))
    ours, ref = fit.ours, fit.reference
    scale = max(float(np.max(np.abs(ref.coef_))), 1e-300)
    record.comparison["max_coef_difference_relative"] = float(np.max(np.abs(ours.coef_ - ref.coef_)) / scale)
    record.comparison["intercept_difference"] = float(np.max(np.abs(
        np.asarray(ours.intercept_) - np.asarray(ref.intercept_))))
    record.info["n_iter"] = int(ours.n_iter_)
    record.info["intercept"] = float(np.ravel(ours.intercept_)[0])

    record.add("split", x_train=fit.X_train[:, 0], y_train=fit.y_train, x_test=fit.X_test[:, 0],
               y_test=fit.y_test, predicted=fit.pred_ours)
    record.add("coef", mlatlas=np.ravel(ours.coef_), reference=np.ravel(ref.coef_))
    if fit.X_train.shape[1] == 1:
        # one feature: both fitted lines y = b + w x over the data's range
        low = min(fit.X_train.min(), fit.X_test.min())
        high = max(fit.X_train.max(), fit.X_test.max())
        grid = np.linspace(low, high, 100).reshape(-1, 1)
        record.add("line", x=grid[:, 0], mlatlas=ours.predict(grid), reference=ref.predict(grid))

    # gradient descent on the same training data, against the least-squares optimum
    exact = LinearRegression(fit_intercept=fit_intercept).fit(fit.X_train, fit.y_train)
    r = fit.y_train - exact.predict(fit.X_train)
    # loss = mean squared error / 2 at the optimum
    record.info["gd_best"] = 0.5 * float(np.mean(r * r))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gd = LinearRegression(solver="gd", fit_intercept=fit_intercept, max_iter=3000, tol=1e-10).fit(
            fit.X_train, fit.y_train)
    record.add("gd", loss=gd.history_.column("loss"))
    record.info["gd_epochs"] = int(gd.n_iter_)
    return record


def draw_regression_line(record, lang):
    """The fitted line (one feature) or observed against predicted; residuals; coefficients."""
    t = translator(lang)
    a = record.arrays
    predicted, y_test = a["split.predicted"], a["split.y_test"]
    names = record.info["feature_names"]
    fig, axes = plots.figure(1, 3)
    ax = axes[0, 0]
    if "line.x" in a:
        ax.scatter(a["split.x_train"], a["split.y_train"], s=12, alpha=0.5, label=t("legend.train"))
        ax.scatter(a["split.x_test"], y_test, s=12, alpha=0.7, label=t("legend.test"))
        ax.plot(a["line.x"], a["line.mlatlas"], "k-", lw=2, label="mlatlas")
        ax.plot(a["line.x"], a["line.reference"], "r--", lw=1.5, label="scikit-learn")
        ax.set_xlabel(names[0])
        ax.set_ylabel("y")
        ax.set_title(f"y = {record.info['intercept']:.3g} + {float(a['coef.mlatlas'][0]):.3g} x")
        ax.legend(loc="best", fontsize=8)
    else:
        # several features: each test point against its prediction; a perfect fit is y = x
        ax.scatter(predicted, y_test, s=12, alpha=0.7)
        lo, hi = min(predicted.min(), y_test.min()), max(predicted.max(), y_test.max())
        ax.plot([lo, hi], [lo, hi], "k--", lw=1)
        ax.set_xlabel(t("axis.predicted"))
        ax.set_ylabel(t("axis.observed"))
        ax.set_title(t("linear.test_set", n=len(names)))

    ax = axes[0, 1]
    residuals = y_test - predicted
    ax.scatter(predicted, residuals, s=12, alpha=0.7)
    ax.axhline(0.0, color="k", lw=1)
    sd = float(np.std(residuals))
    ax.axhline(2 * sd, color="gray", ls=":", lw=1)
    ax.axhline(-2 * sd, color="gray", ls=":", lw=1)
    ax.set_xlabel(t("axis.predicted"))
    ax.set_ylabel(t("linear.residual"))
    ax.set_title(t("linear.residuals_title", sd=sd))

    ax = axes[0, 2]
    ours, ref = a["coef.mlatlas"], a["coef.reference"]
    k = np.arange(ours.size)
    ax.bar(k - 0.2, ours, width=0.4, label="mlatlas")
    ax.bar(k + 0.2, ref, width=0.4, label="scikit-learn")
    if len(names) == ours.size:
        ax.set_xticks(k, names, rotation=60, fontsize=7)
    ax.set_xlabel(t("axis.feature"))
    ax.set_ylabel(t("linear.coefficient"))
    diff = float(np.max(np.abs(ours - ref)) / max(np.max(np.abs(ref)), 1e-300))
    ax.set_title(t("linear.coefficients_title", diff=diff))
    ax.legend(fontsize=8)
    return plots.save(fig, record.figure_path("regression-line", lang))


def draw_gradient_descent(record, lang):
    """The loss of gradient descent epoch by epoch, and its gap to the least-squares optimum."""
    t = translator(lang)
    loss = record.array("gd.loss")
    best = record.info["gd_best"]
    fig, axes = plots.figure(1, 2)
    ax = axes[0, 0]
    first = loss[:60]
    ax.plot(first, marker=".", label=t("linear.gd"))
    ax.axhline(best, color="k", ls="--", lw=1, label=t("linear.lstsq"))
    ax.set_xlabel(t("axis.epoch"))
    ax.set_ylabel(t("linear.loss"))
    ax.set_title(t("linear.first_epochs", n=len(first)))
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    ax.semilogy(np.maximum(loss - best, 1e-300))
    ax.set_xlabel(t("axis.epoch"))
    ax.set_ylabel(t("linear.gap"))
    ax.set_title(t("linear.gap_title", n=record.info["gd_epochs"]), fontsize=10)
    return plots.save(fig, record.figure_path("gradient-descent", lang))


register(Entry(
    name="linear-regression", family="linear",
    title="Least squares y = b0 + b1 x1 + ... + bn xn (closed form or gradient descent)",
    run=run_linear, config="mlatlas.supervised:LinearRegression",
    references=("sklearn.linear_model.LinearRegression",),
    dataset="diabetes", datasets=("diabetes", "linear"), task="regression",
    figures=(draw_regression_line, draw_gradient_descent), primary_metric="r2",
))


# ---------------------------------------------------------------------------- logistic-regression

_SKLEARN_SOLVER = {"lbfgs": "lbfgs", "newton": "newton-cholesky", "gd": "lbfgs"}


def _sklearn_logistic(params: dict):
    from sklearn.linear_model import LogisticRegression as Reference

    return Reference(C=params.get("C", 1.0), fit_intercept=params.get("fit_intercept", True),
                     max_iter=params.get("max_iter", 100), tol=params.get("tol", 1e-4),
                     solver=_SKLEARN_SOLVER.get(params.get("solver", "lbfgs"), "lbfgs"))


def run_logistic(ctx):
    """Ours against scikit-learn on one split; boundaries on 2-D data; the three solvers' paths."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    from ... import datasets as ds
    from ...base import ConvergenceWarning
    from ...supervised import LogisticRegression

    record, fit = compare_on_split(ctx, _sklearn_logistic(ctx.params), preprocess="standardize")
    ours, ref = fit.ours, fit.reference
    record.comparison["max_coef_difference"] = float(np.max(np.abs(ours.coef_ - ref.coef_)))
    record.comparison["max_intercept_difference"] = float(np.max(np.abs(ours.intercept_ - ref.intercept_)))
    record.comparison["max_probability_difference"] = float(np.max(np.abs(
        ours.predict_proba(fit.X_test) - ref.predict_proba(fit.X_test))))
    record.info["n_iter"] = {"mlatlas": int(ours.n_iter_), "reference": int(np.max(ref.n_iter_))}
    record.add("coef", mlatlas=np.ravel(ours.coef_), reference=np.ravel(ref.coef_))

    # a 2-D picture: the run's own data when it is 2-D, else a fresh fit on two moons
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if fit.X_train.shape[1] == 2:
            model, X, y, source = ours, fit.X_train, fit.y_train, "run"
        else:
            moons = ds.load("moons", random_state=ctx.seed)
            X = (moons.X - moons.X.mean(axis=0)) / moons.X.std(axis=0)
            y, source = moons.y, "moons"
            model = ctx.estimator().fit(X, y)
        # the model is linear in its inputs; on cubic features of (x1, x2) the boundary can bend
        params = {**ctx.params, "max_iter": max(int(ctx.params.get("max_iter", 100)), 1000)}
        curved = make_pipeline(PolynomialFeatures(3), StandardScaler(), LogisticRegression(**params)).fit(X, y)
    classes = model.classes_
    xs, ys, points = decision_grid(X, resolution=200)
    shape = (ys.size, xs.size)
    record.add("moons", X=X, y=np.searchsorted(classes, y), xs=xs, ys=ys,
               regions=np.searchsorted(classes, model.predict(points)).reshape(shape),
               proba=model.predict_proba(points)[:, -1].reshape(shape),
               cubic_regions=np.searchsorted(classes, curved.predict(points)).reshape(shape))
    record.info["moons"] = {"source": source, "classes": [str(c) for c in classes],
                            "accuracy": float(np.mean(model.predict(X) == y)),
                            "cubic_accuracy": float(np.mean(curved.predict(X) == y))}

    # the objective of each solver, iteration by iteration, on the run's training split
    common = {k: v for k, v in ctx.params.items() if k in ("C", "fit_intercept")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for solver, max_iter in (("lbfgs", 1000), ("newton", 50), ("gd", 500)):
            solver_model = LogisticRegression(solver=solver, max_iter=max_iter, tol=1e-9, **common)
            record.add("solvers", **{solver: solver_model.fit(fit.X_train, fit.y_train).history_.column("objective")})
    return record


def draw_moons(record, lang):
    """Decision regions, the probability surface, and the same model on cubic features."""
    t = translator(lang)
    a = record.arrays
    info = record.info["moons"]
    names = [t("knn.class_name", name=c) for c in info["classes"]]
    where = t("logistic.source_run") if info["source"] == "run" else t("logistic.source_moons")
    xs, ys, X, y = a["moons.xs"], a["moons.ys"], a["moons.X"], a["moons.y"]
    fig, axes = plots.figure(1, 3)
    ax = axes[0, 0]
    plots.class_regions(ax, xs, ys, a["moons.regions"], len(names))
    plots.scatter_classes(ax, X, y, names, title=t("legend.class"))
    ax.set_title(t("logistic.boundary_title", where=where, accuracy=info["accuracy"]), fontsize=9)

    ax = axes[0, 1]
    surface = ax.contourf(xs, ys, a["moons.proba"], levels=np.linspace(0, 1, 11), cmap="coolwarm", alpha=0.8)
    ax.contour(xs, ys, a["moons.proba"], levels=[0.5], colors="k", linewidths=1.5)
    plots.scatter_classes(ax, X, y, names, title=t("legend.class"))
    colorbar = fig.colorbar(surface, ax=ax, fraction=0.046, pad=0.04)
    colorbar.set_label(t("logistic.probability", last=info["classes"][-1]))
    formula = "sigma(b + w . x)" if len(names) == 2 else "softmax"
    ax.set_title(t("logistic.proba_title", last=info["classes"][-1], formula=formula), fontsize=9)

    ax = axes[0, 2]
    plots.class_regions(ax, xs, ys, a["moons.cubic_regions"], len(names))
    plots.scatter_classes(ax, X, y, names, title=t("legend.class"))
    ax.set_title(t("logistic.cubic_title", accuracy=info["cubic_accuracy"]), fontsize=9)
    for ax in axes[0]:
        ax.set_xlabel(t("axis.x1"))
        ax.set_ylabel(t("axis.x2"))
    return plots.save(fig, record.figure_path("moons-boundary", lang))


def draw_solvers(record, lang):
    """Objective of each solver against the iteration; our coefficients against scikit-learn's."""
    t = translator(lang)
    histories = {solver: record.array(f"solvers.{solver}") for solver in ("lbfgs", "newton", "gd")}
    best = min(float(h.min()) for h in histories.values())
    fig, axes = plots.figure(1, 2)
    ax = axes[0, 0]
    for solver, objective in histories.items():
        marker = "." if len(objective) < 60 else None
        ax.semilogy(np.maximum(objective - best, 1e-16), marker=marker,
                    label=t("logistic.solver_label", solver=solver, n=len(objective) - 1))
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlabel(t("axis.iteration"))
    ax.set_ylabel(t("logistic.objective_gap"))
    ax.set_title(t("logistic.objective_title"))
    ax.legend(fontsize=8)

    ax = axes[0, 1]
    ours, ref = record.array("coef.mlatlas"), record.array("coef.reference")
    ax.scatter(ref, ours, s=12)
    lo, hi = float(min(ref.min(), ours.min())), float(max(ref.max(), ours.max()))
    ax.plot([lo, hi], [lo, hi], "k--", lw=1)
    ax.set_xlabel(t("logistic.coef_sklearn"))
    ax.set_ylabel(t("logistic.coef_ours"))
    ax.set_title(t("logistic.coef_title", diff=float(np.max(np.abs(ours - ref)))))
    return plots.save(fig, record.figure_path("solvers", lang))


register(Entry(
    name="logistic-regression", family="linear",
    title="L2-penalised logistic regression, sigmoid or softmax (L-BFGS, Newton, gradient descent)",
    run=run_logistic, config="mlatlas.supervised:LogisticRegression",
    references=("sklearn.linear_model.LogisticRegression",),
    dataset="breast_cancer", datasets=("breast_cancer", "moons", "iris", "wine", "digits"),
    task="classification", params={"max_iter": 1000, "tol": 1e-6},
    figures=(draw_moons, draw_solvers), primary_metric="accuracy",
))
