"""Benchmark cases for clustering: KMeans and GaussianMixture against scikit-learn.

Each timed step fits both sides with the same parameters on the same data, once per
seed in ``SEEDS`` (different random starts need different numbers of iterations, so
one seed alone would mostly measure luck).  The quality is the mean fitted objective:
k-means inertia (lower is better) or the mixture's mean log-likelihood per sample
(higher is better).
"""

from __future__ import annotations

import numpy as np

from .harness import case

SEEDS = (0, 1, 2)


def _digits(quick):
    from sklearn.datasets import load_digits

    return load_digits().data.astype(float)


def _blobs(n_samples, n_features, centers, cluster_std=1.0):
    def setup(quick):
        from sklearn.datasets import make_blobs

        n = n_samples // 10 if quick else n_samples
        return make_blobs(n_samples=n, n_features=n_features, centers=centers,
                          cluster_std=cluster_std, random_state=0)[0]
    return setup


def _kmeans(cls, n_clusters, n_init, seeds=SEEDS):
    def fit(X):
        return float(np.mean([cls(n_clusters=n_clusters, n_init=n_init, random_state=s).fit(X).inertia_
                              for s in seeds]))
    return fit


def _gmm(cls, n_components, covariance_type, seeds=SEEDS):
    def fit(X):
        return float(np.mean([cls(n_components, covariance_type=covariance_type, random_state=s)
                              .fit(X).lower_bound_ for s in seeds]))
    return fit


def _ours_kmeans():
    from mlatlas.unsupervised import KMeans

    return KMeans


def _sk_kmeans():
    from sklearn.cluster import KMeans

    return KMeans


def _ours_gmm():
    from mlatlas.unsupervised import GaussianMixture

    return GaussianMixture


def _sk_gmm():
    from sklearn.mixture import GaussianMixture

    return GaussianMixture


case(name="kmeans digits k=10 n_init=10 (5 seeds)", group="clustering", setup=_digits,
     ours=_kmeans(_ours_kmeans(), 10, 10, seeds=range(5)),
     reference=_kmeans(_sk_kmeans(), 10, 10, seeds=range(5)),
     reference_name="sklearn KMeans", quality_name="mean inertia", quality_higher_is_better=False,
     target=1.0)
case(name="kmeans blobs 100k x 10 k=8 n_init=10 (3 seeds)", group="clustering",
     setup=_blobs(100_000, 10, 8), ours=_kmeans(_ours_kmeans(), 8, 10),
     reference=_kmeans(_sk_kmeans(), 8, 10), reference_name="sklearn KMeans",
     quality_name="mean inertia", quality_higher_is_better=False, target=1.0)
# Overlapping blobs: Lloyd needs tens of iterations, so the assignment step dominates
# (on well-separated blobs the k-means++ seeding does).
case(name="kmeans overlapping blobs 100k x 10 k=8 n_init=3 (3 seeds)", group="clustering",
     setup=_blobs(100_000, 10, 8, cluster_std=6.0), ours=_kmeans(_ours_kmeans(), 8, 3),
     reference=_kmeans(_sk_kmeans(), 8, 3), reference_name="sklearn KMeans",
     quality_name="mean inertia", quality_higher_is_better=False, target=1.0)
case(name="gmm full 20k x 10 K=5 (3 seeds)", group="clustering", setup=_blobs(20_000, 10, 5),
     ours=_gmm(_ours_gmm(), 5, "full"), reference=_gmm(_sk_gmm(), 5, "full"),
     reference_name="sklearn GaussianMixture", quality_name="mean log-likelihood", target=1.5)
case(name="gmm full overlapping 20k x 10 K=5 (3 seeds)", group="clustering",
     setup=_blobs(20_000, 10, 5, cluster_std=4.0), ours=_gmm(_ours_gmm(), 5, "full"),
     reference=_gmm(_sk_gmm(), 5, "full"), reference_name="sklearn GaussianMixture",
     quality_name="mean log-likelihood", target=1.5)
