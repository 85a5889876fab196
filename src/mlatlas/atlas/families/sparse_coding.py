"""Registry entry for dictionary learning / sparse coding against scikit-learn."""

from __future__ import annotations

import time
import warnings

import numpy as np

from ... import plots
from ...base import ConvergenceWarning
from ...unsupervised.sparse_coding import DictionaryLearning, objective
from ..registry import Entry, register
from ..runner import ModelRow, RunResult, warm_up


def _reference(params: dict):
    from sklearn.decomposition import DictionaryLearning as SkDictionaryLearning

    alpha = params.get("alpha", 1.0)
    return SkDictionaryLearning(
        n_components=params.get("n_components"), alpha=alpha, max_iter=params.get("max_iter", 1000),
        tol=params.get("tol", 1e-8), fit_algorithm="cd", transform_algorithm="lasso_cd",
        transform_alpha=alpha, random_state=params.get("random_state"))


def _prepare(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixels scaled to [0, 1] and centred per pixel (returns the data and the mean image)."""
    scaled = X / max(float(X.max()), 1e-12)
    mean = scaled.mean(axis=0)
    return scaled - mean, mean


def _run_sparse_coding(entry: Entry, ctx) -> RunResult:
    """Fit ours and scikit-learn's on the same training digits; score codes on held-out ones."""
    from sklearn.model_selection import train_test_split

    X, mean = _prepare(ctx.dataset.X)
    X_train, X_test = train_test_split(X, test_size=entry.test_size, random_state=ctx.seed)
    ctx.X_train, ctx.X_test = X_train, X_test
    ctx.extra["mean_image"] = mean
    params = dict(ctx.params)
    params.setdefault("random_state", ctx.seed)
    alpha = float(params.get("alpha", 1.0))

    rows, models = [], {}
    warm_up(lambda: entry.estimator(**params), X_train, method="transform")
    warm_up(lambda: entry.reference(params), X_train, method="transform")
    for label, model in (("mlatlas", entry.estimator(**params)),
                         (entry.reference_name, entry.reference(params))):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            start = time.perf_counter()
            model.fit(X_train)
            fit_time = time.perf_counter() - start
            start = time.perf_counter()
            code_test = model.transform(X_test)
            predict_time = time.perf_counter() - start
            code_train = model.transform(X_train)
        D = model.components_
        rows.append(ModelRow(label, {
            "objective_train_per_sample": objective(X_train, code_train, D, alpha) / X_train.shape[0],
            "objective_test_per_sample": objective(X_test, code_test, D, alpha) / X_test.shape[0],
            "final_error": float(model.error_[-1]),
            "rmse_test": float(np.sqrt(np.mean((X_test - code_test @ D) ** 2))),
            "nonzero_codes_per_sample": float(np.mean(np.count_nonzero(code_test, axis=1))),
            "n_iter": int(model.n_iter_),
        }, fit_time, predict_time))
        models[label] = model
    ours, ref = models["mlatlas"], models[entry.reference_name]
    ctx.ours, ctx.reference = ours, ref
    o, r = rows[0].metrics, rows[1].metrics
    comparison = {
        "objective_ratio_train": o["objective_train_per_sample"] / r["objective_train_per_sample"],
        "objective_ratio_test": o["objective_test_per_sample"] / r["objective_test_per_sample"],
    }
    return RunResult(entry.name, ctx.dataset.name, params, ctx.seed, rows, comparison,
                     details={"objective_path_ours": ours.error_.tolist(),
                              "objective_path_reference": list(map(float, ref.error_))})


def _mosaic(atoms: np.ndarray, cols: int) -> np.ndarray:
    """Tile 8x8 atoms into one image, separated by NaN (blank) lines."""
    rows = int(np.ceil(atoms.shape[0] / cols))
    image = np.full((rows * 9 - 1, cols * 9 - 1), np.nan)
    for i, atom in enumerate(atoms):
        r, c = divmod(i, cols)
        image[r * 9:r * 9 + 8, c * 9:c * 9 + 8] = atom.reshape(8, 8)
    return image


def _fig_atoms(ctx) -> str:
    """Learned atoms as 8x8 images: ours left, scikit-learn's right (most used first)."""
    ours, ref = ctx.ours, ctx.reference
    k = ours.components_.shape[0]
    cols = min(k, 8)
    fig, axes = plots.figure(1, 2, size=5.0)
    for ax, model, name in ((axes[0, 0], ours, "mlatlas"), (axes[0, 1], ref, "scikit-learn")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            usage = np.count_nonzero(model.transform(ctx.X_train), axis=0)
        order = np.argsort(-usage)
        atoms = model.components_[order]
        limit = float(np.abs(atoms).max()) or 1.0
        image = ax.imshow(_mosaic(atoms, cols), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{name}: {k} atoms, most used first")
    fig.colorbar(image, ax=axes[0, :].tolist(), shrink=0.8, label="pixel weight (centred digits)")
    fig.savefig(ctx.path("dictionary-atoms"), dpi=110)
    plots.plt.close(fig)
    return ctx.path("dictionary-atoms")


def _fig_objective(ctx) -> str:
    """Objective per alternation (both) and a few held-out digits rebuilt from sparse codes."""
    ours, ref = ctx.ours, ctx.reference
    alpha = float(ctx.params.get("alpha", 1.0))
    fig, axes = plots.figure(1, 2, size=5.0)
    ax = axes[0, 0]
    n = ctx.X_train.shape[0]
    ax.plot(np.arange(1, len(ours.error_) + 1), ours.error_ / n, "-", label="mlatlas (FISTA codes)")
    ax.plot(np.arange(1, len(ref.error_) + 1), np.asarray(ref.error_) / n, "--", label="scikit-learn (lasso_cd)")
    ax.set_xlabel("alternation")
    ax.set_ylabel("½‖X − CD‖² + α‖C‖₁ per sample")
    ax.set_title(f"objective, α = {alpha}")
    ax.legend(fontsize=8)

    ax = axes[0, 1]
    ax.axis("off")
    X_show = ctx.X_test[:6]
    code = ours.transform(X_show)
    mean = ctx.extra["mean_image"]
    strip = []
    for i in range(X_show.shape[0]):
        original = (X_show[i] + mean).reshape(8, 8)
        rebuilt = (code[i] @ ours.components_ + mean).reshape(8, 8)
        strip.append(np.vstack([original, np.full((1, 8), np.nan), rebuilt]))
    image = np.hstack([np.hstack([s, np.full((17, 1), np.nan)]) for s in strip])
    ax.imshow(image, cmap="gray_r", vmin=0, vmax=1)
    nonzeros = ", ".join(str(int(np.count_nonzero(c))) for c in code)
    ax.set_title(f"held-out digits (top) and C·D (bottom)\nnon-zero codes: {nonzeros}", fontsize=9)
    return plots.save(fig, ctx.path("sparse-coding-objective"))


register(Entry(
    name="sparse-coding", family="unsupervised",
    title="Dictionary learning: lasso codes by ISTA/FISTA, atoms by block coordinate descent",
    estimator=DictionaryLearning,
    reference=_reference,
    reference_name="sklearn.decomposition.DictionaryLearning",
    dataset="digits", datasets=("digits",), task="other",
    params={"n_components": 32, "alpha": 0.3, "max_iter": 100},
    demo_params={"n_components": 16, "max_iter": 10},
    primary_metric="objective_test_per_sample",
    figures=(_fig_atoms, _fig_objective),
    runner=_run_sparse_coding,
))
