"""Registry entries for clustering: k-means and Gaussian mixtures against scikit-learn.

Both fit on the whole dataset (no split) and are scored without labels (inertia,
mean log-likelihood, BIC) and against them (adjusted Rand index, which ignores how
clusters are numbered).  Ours and the reference are compared the same way: their
partitions by adjusted Rand, their objectives by relative difference.
"""

from __future__ import annotations

import numpy as np

from ... import plots
from ...unsupervised.gmm import GaussianMixture
from ...unsupervised.kmeans import KMeans, _lloyd_step
from ..registry import Entry, register
from ..runner import ModelRow, RunResult, timed, warm_up


def _n_groups(ctx, key: str) -> int:
    """``params[key]`` if given, else the number of classes in the labels (or 3)."""
    if key in ctx.params:
        return int(ctx.params[key])
    y = ctx.dataset.y
    return int(np.unique(y).size) if y is not None else 3


def _sklearn_kmeans(p: dict):
    from sklearn.cluster import KMeans as SkKMeans

    keys = ("n_clusters", "init", "n_init", "max_iter", "tol", "random_state")
    return SkKMeans(**{k: p[k] for k in keys if k in p})


def _sklearn_gmm(p: dict):
    from sklearn.mixture import GaussianMixture as SkGaussianMixture

    keys = ("n_components", "covariance_type", "tol", "reg_covar", "max_iter", "n_init",
            "init_params", "weights_init", "means_init", "precisions_init", "random_state")
    return SkGaussianMixture(**{k: p[k] for k in keys if k in p})


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


def _run_clustering(entry: Entry, ctx, count_key: str, metrics, objective: str) -> RunResult:
    """Fit ours and the reference on all of X with the same parameters and seed."""
    from sklearn.metrics import adjusted_rand_score

    X, y = ctx.dataset.X, ctx.dataset.y
    params = dict(ctx.params)
    params[count_key] = _n_groups(ctx, count_key)
    params.setdefault("random_state", ctx.seed)
    ctx.params.clear()
    ctx.params.update(params)
    ctx.X_train = ctx.X_test = X
    ctx.y_train = ctx.y_test = y

    warm_up(lambda: entry.estimator(**params), X)
    ours = entry.estimator(**params)
    _, fit_time = timed(ours.fit, X)
    labels, predict_time = timed(ours.predict, X)
    warm_up(lambda: entry.reference(params), X)
    ref = entry.reference(params)
    _, ref_fit = timed(ref.fit, X)
    ref_labels, ref_predict = timed(ref.predict, X)
    ctx.ours, ctx.reference = ours, ref

    ours_m, ref_m = metrics(ours, X, y), metrics(ref, X, y)
    rows = [ModelRow("mlatlas", ours_m, fit_time, predict_time),
            ModelRow(entry.reference_name, ref_m, ref_fit, ref_predict)]
    comparison = {
        "adjusted_rand_ours_vs_reference": float(adjusted_rand_score(ref_labels, labels)),
        f"{objective}_relative_difference": float(
            (ours_m[objective] - ref_m[objective]) / abs(ref_m[objective])),
    }
    details = {"history": [dict(row) for row in ours.history_]}
    return RunResult(entry.name, ctx.dataset.name, params, ctx.seed, rows, comparison, details=details)


def _run_kmeans(entry: Entry, ctx) -> RunResult:
    return _run_clustering(entry, ctx, "n_clusters", _kmeans_metrics, "inertia")


def _run_gmm(entry: Entry, ctx) -> RunResult:
    return _run_clustering(entry, ctx, "n_components", _gmm_metrics, "log_likelihood")


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------


def _plane(X: np.ndarray) -> tuple[np.ndarray, str]:
    """X itself when 2-D, otherwise its projection on the first two principal axes."""
    if X.shape[1] == 2:
        return X, ""
    centred = X - X.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:2].T, " (first two principal components)"  # (n, d) @ (d, 2) -> (n, 2)


def _fig_kmeans_iterations(ctx):
    """Lloyd's iterations from a random start: assignments and centres moving."""
    X2, note = _plane(ctx.X_train)
    k = int(ctx.params["n_clusters"])
    rng = np.random.default_rng(ctx.seed + 1)
    centers = X2[rng.choice(X2.shape[0], size=k, replace=False)]
    trail = [centers]
    snapshots = []
    for _ in range(100):
        labels, new_centers, inertia, _ = _lloyd_step(X2, centers)
        snapshots.append((labels, centers, inertia))
        trail.append(new_centers)
        if np.allclose(new_centers, centers):
            break
        centers = new_centers
    shown = sorted({0, 1, 2, len(snapshots) - 1})
    fig, axes = plots.figure(1, len(shown), size=3.4)
    cmap = plots.plt.get_cmap("tab10")
    for ax, step in zip(axes[0], shown):
        labels, centers, inertia = snapshots[step]
        ax.scatter(X2[:, 0], X2[:, 1], c=labels % 10, cmap="tab10", vmin=0, vmax=9, s=8, alpha=0.6)
        path = np.stack(trail[: step + 1])  # (steps, k, 2)
        for j in range(k):
            ax.plot(path[:, j, 0], path[:, j, 1], "-", color="k", lw=0.8)
            ax.scatter(*centers[j], marker="X", s=120, color=cmap(j % 10), edgecolors="k", linewidths=1.2)
        ax.set_title(f"iteration {step + 1}: inertia {inertia:.4g}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"k-means (Lloyd) on {ctx.dataset.name}{note}, k={k}: assign, then move centres",
                 fontsize=10)
    return plots.save(fig, ctx.path("kmeans-iterations"))


def _fig_kmeans_elbow(ctx):
    """Inertia against k (best of the starts) and its spread over random starts."""
    X = ctx.X_train
    ks = list(range(1, 11))
    n_starts = 12
    spreads = []
    for k in ks:
        runs = [KMeans(n_clusters=k, init="random", n_init=1, random_state=ctx.seed * 1000 + s)
                .fit(X).inertia_ for s in range(n_starts)]
        spreads.append(np.array(runs))
    best = [r.min() for r in spreads]
    fig, axes = plots.figure(1, 2, size=4.2)
    ax = axes[0, 0]
    ax.plot(ks, best, "o-")
    if ctx.dataset.y is not None:
        ax.axvline(np.unique(ctx.dataset.y).size, color="grey", ls="--", lw=1, label="true number of groups")
        ax.legend(fontsize=8)
    ax.set_xlabel("k")
    ax.set_ylabel("inertia (best of starts)")
    ax.set_title("elbow: inertia against k")
    ax = axes[0, 1]
    # each start's excess over the best start for the same k, in percent
    excess = [100.0 * (runs / runs.min() - 1.0) for runs in spreads]
    ax.boxplot(excess, positions=ks, widths=0.6, showfliers=False)
    jitter = np.random.default_rng(0).uniform(-0.15, 0.15, n_starts)
    for k, runs in zip(ks, excess):
        ax.scatter(k + jitter, runs, s=8, alpha=0.6, color="C1")
    ax.set_xlabel("k")
    ax.set_ylabel("inertia above the best start (%)")
    ax.set_title(f"{n_starts} random starts per k", fontsize=10)
    fig.suptitle(f"k-means on {ctx.dataset.name}: sensitive to k and to the start", fontsize=10)
    return plots.save(fig, ctx.path("kmeans-elbow"))


def _ellipse(ax, mean, cov, color):
    from matplotlib.patches import Ellipse

    values, vectors = np.linalg.eigh(cov)
    angle = np.degrees(np.arctan2(vectors[1, -1], vectors[0, -1]))
    for n_std in (1.0, 2.0):
        width, height = 2 * n_std * np.sqrt(np.maximum(values[::-1], 0))
        ax.add_patch(Ellipse(mean, width, height, angle=angle, fill=False, color=color,
                             lw=1.5 if n_std == 1 else 0.8))


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


def _fig_gmm_ellipses(ctx):
    """Fitted components (1 and 2 standard deviations) for each covariance type."""
    X2, note = _plane(ctx.X_train)
    k = int(ctx.params["n_components"])
    fig, axes = plots.figure(1, 4, size=3.3)
    cmap = plots.plt.get_cmap("tab10")
    for ax, kind in zip(axes[0], ("full", "tied", "diag", "spherical")):
        model = GaussianMixture(n_components=k, covariance_type=kind, random_state=ctx.seed).fit(X2)
        labels = model.predict(X2)
        ax.scatter(X2[:, 0], X2[:, 1], c=labels % 10, cmap="tab10", vmin=0, vmax=9, s=6, alpha=0.5)
        for j, (mean, cov) in enumerate(zip(model.means_, _full_covariances(model))):
            _ellipse(ax, mean, cov, cmap(j % 10))
        ax.set_title(f"{kind}: log-lik {model.score(X2):.3f}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"Gaussian mixture on {ctx.dataset.name}{note}, K={k}", fontsize=10)
    return plots.save(fig, ctx.path("gmm-ellipses"))


def _fig_gmm_bic(ctx):
    """BIC against the number of components, and the EM log-likelihood per step."""
    X = ctx.X_train
    ks = list(range(1, 9))
    fig, axes = plots.figure(1, 2, size=4.2)
    ax = axes[0, 0]
    for kind in ("full", "tied", "diag", "spherical"):
        bics = [GaussianMixture(n_components=k, covariance_type=kind, random_state=ctx.seed)
                .fit(X).bic(X) for k in ks]
        ax.plot(ks, bics, "o-", ms=4, label=kind)
    if ctx.dataset.y is not None:
        ax.axvline(np.unique(ctx.dataset.y).size, color="grey", ls="--", lw=1)
    ax.set_xlabel("number of components K")
    ax.set_ylabel("BIC (lower is better)")
    ax.set_title("model selection by BIC")
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    model = GaussianMixture(n_components=int(ctx.params["n_components"]),
                            covariance_type=ctx.params.get("covariance_type", "full"),
                            init_params="random", tol=1e-6, max_iter=500,
                            random_state=ctx.seed).fit(X)
    ll = model.history_.column("log_likelihood")
    ax.plot(np.arange(1, ll.size + 1), ll, ".-")
    ax.set_xlabel("EM step")
    ax.set_ylabel("mean log-likelihood")
    ax.set_title("EM log-likelihood per step (random start)", fontsize=10)
    fig.suptitle(f"Gaussian mixture on {ctx.dataset.name}", fontsize=10)
    return plots.save(fig, ctx.path("gmm-bic"))


register(Entry(
    name="kmeans", family="clustering",
    title="k-means clustering (Lloyd's algorithm, k-means++ or random starts)",
    estimator=KMeans, reference=_sklearn_kmeans, reference_name="sklearn.cluster.KMeans",
    dataset="blobs", datasets=("blobs", "iris", "digits"), task="clustering",
    params={"n_init": 10}, demo_params={}, split=False,
    metrics=_kmeans_metrics, primary_metric="adjusted_rand",
    figures=(_fig_kmeans_iterations, _fig_kmeans_elbow), runner=_run_kmeans,
))

register(Entry(
    name="gmm", family="clustering",
    title="Gaussian mixture model fitted by EM (full, tied, diag or spherical covariances)",
    estimator=GaussianMixture, reference=_sklearn_gmm,
    reference_name="sklearn.mixture.GaussianMixture",
    dataset="blobs", datasets=("blobs", "iris"), task="clustering",
    params={"covariance_type": "full"}, demo_params={}, split=False,
    metrics=_gmm_metrics, primary_metric="adjusted_rand",
    figures=(_fig_gmm_ellipses, _fig_gmm_bic), runner=_run_gmm,
))
