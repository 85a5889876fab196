"""Registry entry ``sparse-coding``: dictionary learning against scikit-learn's.

Both learn a dictionary on the same training digits (pixels scaled to [0, 1] and
centred per pixel) and code held-out digits with it; the comparison is the objective
1/2 ||X - C D||^2 + alpha ||C||_1 per sample on both sets.

Record
------
``atoms.{mlatlas,reference}``: each library's atoms, most used first (on the training
digits); ``objective.*``: each library's objective per alternation; ``held_out.*``:
six held-out digits and their reconstructions C D (plus the mean image) with the
number of non-zero codes of each.
"""

from __future__ import annotations

import warnings

import numpy as np

from ... import plots
from ..record import ModelRow
from ..registry import Entry, register
from ..runner import fit_and_time
from ..strings import translator


def _reference(params: dict):
    from sklearn.decomposition import DictionaryLearning as Reference

    alpha = params.get("alpha", 1.0)
    return Reference(n_components=params.get("n_components"), alpha=alpha, max_iter=params.get("max_iter", 1000),
                     tol=params.get("tol", 1e-8), fit_algorithm="cd", transform_algorithm="lasso_cd",
                     transform_alpha=alpha, random_state=params.get("random_state"))


def _prepare(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixels scaled to [0, 1] and centred per pixel (returns the data and the mean image)."""
    scaled = X / max(float(X.max()), 1e-12)
    mean = scaled.mean(axis=0)
    return scaled - mean, mean


def run(ctx):
    """Fit ours and scikit-learn's on the same training digits; score codes on held-out ones."""
    from sklearn.model_selection import train_test_split

    from ...base import ConvergenceWarning
    from ...unsupervised.sparse_coding import objective

    X, mean = _prepare(ctx.data.X)
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=ctx.seed)
    params = dict(ctx.params)
    params.setdefault("random_state", ctx.seed)
    alpha = float(params.get("alpha", 1.0))
    makers = (("mlatlas", lambda: ctx.estimator(**params)), ("sklearn.decomposition.DictionaryLearning",
                                                             lambda: _reference(params)))
    rows, models = [], []
    for label, make in makers:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model, code_test, fit_time, predict_time = fit_and_time(make, X_train, None, X_test, method="transform")
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
        models.append((model, code_train))
    record = ctx.record(rows, params=params)
    o, r = rows[0].metrics, rows[1].metrics
    record.comparison["objective_ratio_train"] = o["objective_train_per_sample"] / r["objective_train_per_sample"]
    record.comparison["objective_ratio_test"] = o["objective_test_per_sample"] / r["objective_test_per_sample"]

    for key, (model, code_train) in zip(("mlatlas", "reference"), models):
        usage = np.count_nonzero(code_train, axis=0)
        record.add("atoms", **{key: model.components_[np.argsort(-usage, kind="stable")]})
        record.add("objective", **{key: np.asarray(model.error_, dtype=float) / X_train.shape[0]})
    ours = models[0][0]
    shown = X_test[:6]
    code = ours.transform(shown)
    record.add("held_out", original=shown + mean, rebuilt=code @ ours.components_ + mean,
               nonzeros=np.count_nonzero(code, axis=1))
    record.info["alpha"] = alpha
    return record


def _mosaic(atoms: np.ndarray, cols: int) -> np.ndarray:
    """Tile 8x8 atoms into one image, separated by NaN (blank) lines."""
    rows = int(np.ceil(atoms.shape[0] / cols))
    image = np.full((rows * 9 - 1, cols * 9 - 1), np.nan)
    for i, atom in enumerate(atoms):
        r, c = divmod(i, cols)
        image[r * 9:r * 9 + 8, c * 9:c * 9 + 8] = atom.reshape(8, 8)
    return image


def draw_atoms(record, lang):
    """Learned atoms as 8x8 images: ours left, scikit-learn's right (most used first)."""
    t = translator(lang)
    fig, axes = plots.figure(1, 2, size=5.0)
    image = None
    for ax, key, name in ((axes[0, 0], "mlatlas", "mlatlas"), (axes[0, 1], "reference", "scikit-learn")):
        atoms = record.array(f"atoms.{key}")
        k = atoms.shape[0]
        limit = float(np.abs(atoms).max()) or 1.0
        image = ax.imshow(_mosaic(atoms, min(k, 8)), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.axis("off")
        ax.set_title(t("sparse.atoms_title", name=name, k=k))
    fig.colorbar(image, ax=axes[0, :].tolist(), shrink=0.8, label=t("sparse.pixel_weight"))
    return plots.save(fig, record.figure_path("dictionary-atoms", lang), tight=False)


def draw_objective(record, lang):
    """Objective per alternation (both) and a few held-out digits rebuilt from sparse codes."""
    t = translator(lang)
    fig, axes = plots.figure(1, 2, size=5.0)
    ax = axes[0, 0]
    ours, ref = record.array("objective.mlatlas"), record.array("objective.reference")
    ax.plot(np.arange(1, len(ours) + 1), ours, "-", label=t("sparse.ours"))
    ax.plot(np.arange(1, len(ref) + 1), ref, "--", label=t("sparse.sklearn"))
    ax.set_xlabel(t("sparse.alternation"))
    ax.set_ylabel(t("sparse.objective"))
    ax.set_title(t("sparse.objective_title", alpha=record.info["alpha"]))
    ax.legend(fontsize=8)

    ax = axes[0, 1]
    ax.axis("off")
    original, rebuilt = record.array("held_out.original"), record.array("held_out.rebuilt")
    strip = [np.vstack([o.reshape(8, 8), np.full((1, 8), np.nan), r.reshape(8, 8)]) for o, r in zip(original, rebuilt)]
    image = np.hstack([np.hstack([s, np.full((17, 1), np.nan)]) for s in strip])
    ax.imshow(image, cmap="gray_r", vmin=0, vmax=1)
    nonzeros = ", ".join(str(int(n)) for n in record.array("held_out.nonzeros"))
    ax.set_title(t("sparse.held_out_title", nonzeros=nonzeros), fontsize=9)
    return plots.save(fig, record.figure_path("sparse-coding-objective", lang))


register(Entry(
    name="sparse-coding", family="unsupervised",
    title="Dictionary learning: lasso codes by ISTA/FISTA, atoms by block coordinate descent",
    run=run, config="mlatlas.unsupervised:DictionaryLearning",
    references=("sklearn.decomposition.DictionaryLearning",),
    dataset="digits", datasets=("digits",), task="other",
    params={"n_components": 32, "alpha": 0.3, "max_iter": 100},
    demo_params={"n_components": 16, "max_iter": 10},
    figures=(draw_atoms, draw_objective), primary_metric="objective_test_per_sample",
))
