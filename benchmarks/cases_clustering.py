"""Benchmark cases for clustering: KMeans and GaussianMixture against scikit-learn.

Each timed step is one whole ``fit`` with the same parameters and seed on both sides;
the quality is the fitted objective (k-means inertia, lower is better; the mixture's
mean log-likelihood per sample, higher is better).
"""

from __future__ import annotations

from .harness import case


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


def _kmeans(n_clusters, n_init):
    from mlatlas.unsupervised import KMeans

    return lambda X: KMeans(n_clusters=n_clusters, n_init=n_init, random_state=0).fit(X).inertia_


def _sk_kmeans(n_clusters, n_init):
    from sklearn.cluster import KMeans

    return lambda X: KMeans(n_clusters=n_clusters, n_init=n_init, random_state=0).fit(X).inertia_


def _gmm(n_components, covariance_type):
    from mlatlas.unsupervised import GaussianMixture

    return lambda X: GaussianMixture(n_components, covariance_type=covariance_type,
                                     random_state=0).fit(X).lower_bound_


def _sk_gmm(n_components, covariance_type):
    from sklearn.mixture import GaussianMixture

    return lambda X: GaussianMixture(n_components, covariance_type=covariance_type,
                                     random_state=0).fit(X).lower_bound_


case(name="kmeans digits k=10 n_init=10", group="clustering", setup=_digits,
     ours=_kmeans(10, 10), reference=_sk_kmeans(10, 10), reference_name="sklearn KMeans",
     quality_name="inertia", quality_higher_is_better=False, target=1.0)
case(name="kmeans blobs 100k x 10 k=8 n_init=10", group="clustering",
     setup=_blobs(100_000, 10, 8), ours=_kmeans(8, 10), reference=_sk_kmeans(8, 10),
     reference_name="sklearn KMeans", quality_name="inertia", quality_higher_is_better=False,
     target=1.0)
# Overlapping blobs: Lloyd needs tens of iterations, so the assignment step dominates
# (on well-separated blobs the k-means++ seeding does).
case(name="kmeans overlapping blobs 100k x 10 k=8 n_init=3", group="clustering",
     setup=_blobs(100_000, 10, 8, cluster_std=6.0), ours=_kmeans(8, 3), reference=_sk_kmeans(8, 3),
     reference_name="sklearn KMeans", quality_name="inertia", quality_higher_is_better=False,
     target=1.0)
case(name="gmm full 20k x 10 K=5", group="clustering", setup=_blobs(20_000, 10, 5),
     ours=_gmm(5, "full"), reference=_sk_gmm(5, "full"), reference_name="sklearn GaussianMixture",
     quality_name="mean log-likelihood", target=1.5)
case(name="gmm full overlapping 20k x 10 K=5", group="clustering",
     setup=_blobs(20_000, 10, 5, cluster_std=4.0), ours=_gmm(5, "full"), reference=_sk_gmm(5, "full"),
     reference_name="sklearn GaussianMixture", quality_name="mean log-likelihood", target=1.5)
