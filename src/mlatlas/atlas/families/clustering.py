"""Registry entries ``kmeans`` and ``gmm`` against scikit-learn's.

Both fit on the whole dataset (no split) and are scored without labels (inertia,
mean log-likelihood, BIC) and against them (adjusted Rand index, which ignores how
clusters are numbered).  Ours and the reference are compared the same way: their
partitions by adjusted Rand, their objectives by relative difference.

Record
------
kmeans
    ``lloyd.*``: Lloyd's iterations from a random start on the data's plane (the data
    itself when 2-D, else its first two principal components): the assignments and
    inertia at iterations 1, 2, 3 and the last, and every centre's trail;
    ``elbow.{k,inertia}``: the inertia of 12 random starts for k = 1..10 (at most the
    number of rows).
gmm
    ``ellipses.{kind}.*``: a mixture of each covariance type fitted on the plane (labels,
    means, full covariances, log-likelihood); ``bic.{kind}``: BIC for K = 1..8 (at most the
    number of rows);
    ``em.log_likelihood``: the EM log-likelihood per step from a random start.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ... import plots
from ..registry import Entry, register
from ..runner import compare_on_split, principal_plane
from ..strings import translator

_KINDS = ("full", "tied", "diag", "spherical")
_ELBOW_KS = tuple(range(1, 11))
_ELBOW_STARTS = 12
_BIC_KS = tuple(range(1, 9))


def _n_groups(ctx, key: str) -> int:
    """``params[key]`` if given, else the number of classes in the labels (or 3)."""
    if key in ctx.params:
        return int(ctx.params[key])
    y = ctx.data.y
    return int(np.unique(y).size) if y is not None else 3


def _true_groups(ctx) -> int | None:
    return int(np.unique(ctx.data.y).size) if ctx.data.y is not None else None


def _kmeans_metrics(model, X, y) -> dict:
    from sklearn import metrics as skm

    labels = model.predict(X)
    out = {"inertia": float(-model.score(X)), "n_iter": int(model.n_iter_)}
    if y is not None:
        out["adjusted_rand"] = float(skm.adjusted_rand_score(y, labels))
    if np.unique(labels).size > 1:
        out["silhouette"] = float(skm.silhouette_score(X, labels))
    return out


def _gmm_metrics(model, X, y) -> dict:
    from sklearn import metrics as skm

    labels = model.predict(X)
    out = {"log_likelihood": float(model.score(X)), "bic": float(model.bic(X)),
           "aic": float(model.aic(X)), "n_iter": int(model.n_iter_)}
    if y is not None:
        out["adjusted_rand"] = float(skm.adjusted_rand_score(y, labels))
    return out


def _compare_clusterings(ctx, count_key: str, reference_keys: tuple[str, ...], reference_cls, metrics,
                         objective: str):
    """Fit ours and the reference on all of X with the same parameters and seed."""
    params = {**ctx.params, count_key: _n_groups(ctx, count_key)}
    params.setdefault("random_state", ctx.seed)
    ctx = dataclasses.replace(ctx, params=params)
    reference = reference_cls(**{k: params[k] for k in reference_keys if k in params})
    record, fit = compare_on_split(ctx, reference, split=False, metrics=metrics)
    ours_m, ref_m = record.rows[0].metrics, record.rows[1].metrics
    record.comparison[f"{objective}_relative_difference"] = float(
        (ours_m[objective] - ref_m[objective]) / abs(ref_m[objective]))
    record.info["true_groups"] = _true_groups(ctx)
    return ctx, record, fit


# ---------------------------------------------------------------------------- kmeans


def run_kmeans(ctx):
    """Ours against scikit-learn on all rows; Lloyd's iterations on the plane; the elbow."""
    from sklearn.cluster import KMeans as Reference

    from ...unsupervised import KMeans
    from ...unsupervised.kmeans import _lloyd_step

    ctx, record, fit = _compare_clusterings(
        ctx, "n_clusters", ("n_clusters", "init", "n_init", "max_iter", "tol", "random_state"), Reference,
        _kmeans_metrics, "inertia")

    # Lloyd's iterations from a random start: assign, then move the centres
    X2, projected = principal_plane(fit.X_train)
    X2 = np.ascontiguousarray(X2)
    k = int(ctx.params["n_clusters"])
    rng = np.random.default_rng(ctx.seed + 1)
    centers = X2[rng.choice(X2.shape[0], size=k, replace=False)]
    trail, snapshots = [centers], []
    for _ in range(100):
        labels, new_centers, inertia, _ = _lloyd_step(X2, centers)
        snapshots.append((labels, inertia))
        trail.append(new_centers)
        if np.allclose(new_centers, centers):
            break
        centers = new_centers
    shown = sorted({0, 1, 2, len(snapshots) - 1} & set(range(len(snapshots))))
    record.add("lloyd", X=X2, steps=shown, labels=np.stack([snapshots[s][0] for s in shown]),
               inertia=[snapshots[s][1] for s in shown], trail=np.stack(trail))  # trail: (steps + 1, k, 2)
    record.info["projected"] = projected
    record.info["k"] = k

    # inertia against k, for several random starts each
    ks = [kk for kk in _ELBOW_KS if kk <= fit.X_train.shape[0]]
    runs = [[KMeans(n_clusters=kk, init="random", n_init=1, random_state=ctx.seed * 1000 + s).fit(fit.X_train).inertia_
             for s in range(_ELBOW_STARTS)] for kk in ks]
    record.add("elbow", k=ks, inertia=runs)  # (k values, starts)
    return record


def draw_kmeans_iterations(record, lang):
    """Lloyd's iterations from a random start: assignments and centres moving."""
    t = translator(lang)
    X2 = record.array("lloyd.X")
    steps, labels = record.array("lloyd.steps"), record.array("lloyd.labels")
    inertia, trail = record.array("lloyd.inertia"), record.array("lloyd.trail")
    k = record.info["k"]
    names = [t("clustering.cluster_name", j=j + 1) for j in range(k)]
    fig, axes = plots.figure(1, len(steps), size=3.4)
    for i, (ax, step) in enumerate(zip(axes[0], steps)):
        for j in range(k):
            mask = labels[i] == j
            ax.scatter(X2[mask, 0], X2[mask, 1], color=plots.class_colour(j), s=8, alpha=0.6)
        path = trail[: step + 1]  # every centre's positions up to the ones this step assigned to
        for j in range(k):
            ax.plot(path[:, j, 0], path[:, j, 1], "-", color="k", lw=0.8)
            ax.scatter(*trail[step, j], marker="X", s=120, color=plots.class_colour(j), edgecolors="k",
                       linewidths=1.2)
        ax.set_title(t("kmeans.iteration_panel", n=int(step) + 1, inertia=float(inertia[i])), fontsize=9)
        ax.set_xlabel(t("axis.pc1") if record.info["projected"] else t("axis.x1"))
        ax.set_ylabel(t("axis.pc2") if record.info["projected"] else t("axis.x2"))
    plots.class_legend(axes[0, -1], names, title=t("legend.cluster"), loc="best")
    note = t("note.projected") if record.info["projected"] else ""
    fig.suptitle(t("kmeans.iterations_title", dataset=record.dataset, note=note, k=k), fontsize=10)
    return plots.save(fig, record.figure_path("kmeans-iterations", lang))


def draw_kmeans_elbow(record, lang):
    """Inertia against k (best of the starts) and its spread over random starts."""
    t = translator(lang)
    ks, runs = record.array("elbow.k"), record.array("elbow.inertia")
    fig, axes = plots.figure(1, 2, size=4.2)
    ax = axes[0, 0]
    ax.plot(ks, runs.min(axis=1), "o-")
    if record.info["true_groups"] is not None:
        ax.axvline(record.info["true_groups"], color="grey", ls="--", lw=1, label=t("clustering.true_groups"))
        ax.legend(fontsize=8)
    ax.set_xlabel("k")
    ax.set_ylabel(t("kmeans.best_inertia"))
    ax.set_title(t("kmeans.elbow_title"))
    ax = axes[0, 1]
    # each start's excess over the best start for the same k, in percent
    excess = 100.0 * (runs / runs.min(axis=1, keepdims=True) - 1.0)
    ax.boxplot(list(excess), positions=ks, widths=0.6, showfliers=False)
    jitter = np.random.default_rng(0).uniform(-0.15, 0.15, runs.shape[1])
    for kk, row in zip(ks, excess):
        ax.scatter(kk + jitter, row, s=8, alpha=0.6, color="C1")
    ax.set_xlabel("k")
    ax.set_ylabel(t("kmeans.excess"))
    ax.set_title(t("kmeans.starts_title", n=runs.shape[1]), fontsize=10)
    fig.suptitle(t("kmeans.elbow_suptitle", dataset=record.dataset), fontsize=10)
    return plots.save(fig, record.figure_path("kmeans-elbow", lang))


# ---------------------------------------------------------------------------- gmm


def _full_covariances(model) -> np.ndarray:
    """Covariances as (K, d, d) whatever the covariance type."""
    k, d = model.means_.shape
    cov = model.covariances_
    kind = model.covariance_type
    if kind == "full":
        return cov
    if kind == "tied":
        return np.repeat(cov[None], k, axis=0)
    if kind == "diag":
        return np.stack([np.diag(c) for c in cov])
    return np.stack([c * np.eye(d) for c in cov])


def run_gmm(ctx):
    """Ours against scikit-learn on all rows; each covariance type on the plane; BIC; EM steps."""
    from sklearn.mixture import GaussianMixture as Reference

    from ...unsupervised import GaussianMixture

    ctx, record, fit = _compare_clusterings(
        ctx, "n_components", ("n_components", "covariance_type", "tol", "reg_covar", "max_iter", "n_init",
                              "init_params", "weights_init", "means_init", "precisions_init", "random_state"),
        Reference, _gmm_metrics, "log_likelihood")
    X = fit.X_train
    k = int(ctx.params["n_components"])
    X2, projected = principal_plane(X)
    loglik = {}
    for kind in _KINDS:
        model = GaussianMixture(n_components=k, covariance_type=kind, random_state=ctx.seed).fit(X2)
        record.add(f"ellipses.{kind}", labels=model.predict(X2), means=model.means_,
                   covariances=_full_covariances(model))
        loglik[kind] = float(model.score(X2))
    record.add("ellipses", X=X2)
    ks = [kk for kk in _BIC_KS if kk <= X.shape[0]]
    bics = {kind: [GaussianMixture(n_components=kk, covariance_type=kind, random_state=ctx.seed).fit(X).bic(X)
                   for kk in ks] for kind in _KINDS}
    record.add("bic", k=ks, **bics)
    em = GaussianMixture(n_components=k, covariance_type=ctx.params.get("covariance_type", "full"),
                         init_params="random", tol=1e-6, max_iter=500, random_state=ctx.seed).fit(X)
    record.add("em", log_likelihood=em.history_.column("log_likelihood"))
    record.info.update(projected=projected, k=k, ellipse_log_likelihood=loglik)
    return record


def _ellipse(ax, mean, cov, color):
    from matplotlib.patches import Ellipse

    values, vectors = np.linalg.eigh(cov)
    angle = np.degrees(np.arctan2(vectors[1, -1], vectors[0, -1]))
    for n_std in (1.0, 2.0):
        width, height = 2 * n_std * np.sqrt(np.maximum(values[::-1], 0))
        ax.add_patch(Ellipse(mean, width, height, angle=angle, fill=False, color=color,
                             lw=1.5 if n_std == 1 else 0.8))


def draw_gmm_ellipses(record, lang):
    """Fitted components (1 and 2 standard deviations) for each covariance type."""
    t = translator(lang)
    X2 = record.array("ellipses.X")
    k = record.info["k"]
    names = [t("clustering.component_name", j=j + 1) for j in range(k)]
    fig, axes = plots.figure(1, 4, size=3.3)
    for ax, kind in zip(axes[0], _KINDS):
        labels = record.array(f"ellipses.{kind}.labels")
        for j in range(k):
            mask = labels == j
            ax.scatter(X2[mask, 0], X2[mask, 1], color=plots.class_colour(j), s=6, alpha=0.5)
        for j, (mean, cov) in enumerate(zip(record.array(f"ellipses.{kind}.means"),
                                            record.array(f"ellipses.{kind}.covariances"))):
            _ellipse(ax, mean, cov, plots.class_colour(j))
        ax.set_title(t("gmm.ellipses_panel", kind=kind, loglik=record.info["ellipse_log_likelihood"][kind]),
                     fontsize=9)
        ax.set_xlabel(t("axis.pc1") if record.info["projected"] else t("axis.x1"))
        ax.set_ylabel(t("axis.pc2") if record.info["projected"] else t("axis.x2"))
    plots.class_legend(axes[0, 0], names, title=t("legend.component"), loc="best")
    note = t("note.projected") if record.info["projected"] else ""
    fig.suptitle(t("gmm.ellipses_title", dataset=record.dataset, note=note, k=k), fontsize=10)
    return plots.save(fig, record.figure_path("gmm-ellipses", lang))


def draw_gmm_bic(record, lang):
    """BIC against the number of components, and the EM log-likelihood per step."""
    t = translator(lang)
    ks = record.array("bic.k")
    fig, axes = plots.figure(1, 2, size=4.2)
    ax = axes[0, 0]
    for kind in _KINDS:
        ax.plot(ks, record.array(f"bic.{kind}"), "o-", ms=4, label=kind)
    if record.info["true_groups"] is not None:
        ax.axvline(record.info["true_groups"], color="grey", ls="--", lw=1, label=t("clustering.true_groups"))
    ax.set_xlabel(t("gmm.n_components"))
    ax.set_ylabel(t("gmm.bic"))
    ax.set_title(t("gmm.bic_title"))
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    ll = record.array("em.log_likelihood")
    ax.plot(np.arange(1, ll.size + 1), ll, ".-")
    ax.set_xlabel(t("gmm.em_step"))
    ax.set_ylabel(t("gmm.mean_loglik"))
    ax.set_title(t("gmm.em_title"), fontsize=10)
    fig.suptitle(t("gmm.suptitle", dataset=record.dataset), fontsize=10)
    return plots.save(fig, record.figure_path("gmm-bic", lang))


register(Entry(
    name="kmeans", family="clustering",
    title="k-means clustering (Lloyd's algorithm, k-means++ or random starts)",
    run=run_kmeans, config="mlatlas.unsupervised:KMeans", references=("sklearn.cluster.KMeans",),
    dataset="blobs", datasets=("blobs", "iris", "digits"), task="clustering", params={"n_init": 10},
    figures=(draw_kmeans_iterations, draw_kmeans_elbow), primary_metric="adjusted_rand",
))

register(Entry(
    name="gmm", family="clustering",
    title="Gaussian mixture model fitted by EM (full, tied, diag or spherical covariances)",
    run=run_gmm, config="mlatlas.unsupervised:GaussianMixture", references=("sklearn.mixture.GaussianMixture",),
    dataset="blobs", datasets=("blobs", "iris"), task="clustering", params={"covariance_type": "full"},
    figures=(draw_gmm_ellipses, draw_gmm_bic), primary_metric="adjusted_rand",
))
