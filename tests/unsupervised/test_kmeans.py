"""KMeans: a hand-worked run, parity with scikit-learn, invariants, warnings and errors."""

import warnings

import numpy as np
import pytest
from sklearn.cluster import KMeans as SkKMeans
from sklearn.utils.estimator_checks import parametrize_with_checks

from mlatlas import datasets, load_model, save_model
from mlatlas.base import History
from mlatlas.unsupervised import KMeans
from mlatlas.unsupervised.kmeans import (EmptyClusterWarning, _kmeans_plusplus, _kmeans_single, _lloyd_step,
                                        _lloyd_step_fast, kmeans_plusplus)

N_CLUSTERS = {"blobs": 4, "iris": 3, "digits": 10}


@pytest.fixture(autouse=True)
def _one_native_thread():
    """Run OpenMP/BLAS on one thread: results do not depend on it, and on a busy machine
    (parallel test workers) extra native threads only fight over the cores."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def data():
    return {name: datasets.load(name).X for name in N_CLUSTERS}


# --- hand-computed -----------------------------------------------------------------


def test_lloyd_step_by_hand():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [4.0, 0.0], [4.0, 1.0]])
    labels, centers, inertia, reseeded = _lloyd_step(X, np.array([[0.0, 0.0], [4.0, 1.0]]))
    assert labels.tolist() == [0, 0, 1, 1]
    np.testing.assert_allclose(centers, [[0.0, 0.5], [4.0, 0.5]])
    assert inertia == pytest.approx(2.0)  # 0 + 1 (to the old centres) + 1 + 0
    assert reseeded.size == 0


def test_lloyd_step_is_pure_and_weighted():
    X = np.array([[0.0], [1.0], [10.0]])
    centers = np.array([[0.0], [10.0]])
    before = centers.copy()
    _, new, _, _ = _lloyd_step(X, centers, sample_weight=np.array([1.0, 3.0, 1.0]))
    np.testing.assert_array_equal(centers, before)
    np.testing.assert_allclose(new, [[0.75], [10.0]])  # (0*1 + 1*3) / 4


# --- the plain algorithm and the fast kernel agree ------------------------------------


def _small_problem(seed, n=300, d=4, k=6):
    rng = np.random.default_rng(seed)
    X = np.ascontiguousarray(rng.normal(size=(n, d)) + rng.integers(0, 4, size=(n, 1)) * 3.0)
    weight = rng.uniform(0.5, 2.0, size=n)
    return X, weight, X[rng.choice(n, size=k, replace=False)].copy()


@pytest.mark.parametrize("seed", range(4))
def test_plain_lloyd_step_equals_the_fast_kernel(seed):
    X, weight, centers = _small_problem(seed)
    for w in (None, weight):
        plain = _lloyd_step(X, centers, sample_weight=w)
        fast = _lloyd_step_fast(X, centers, sample_weight=w)
        np.testing.assert_array_equal(plain[0], fast[0])  # labels
        np.testing.assert_allclose(plain[1], fast[1], rtol=1e-12, atol=1e-13)  # new centres
        assert plain[2] == pytest.approx(fast[2], rel=1e-12)  # inertia
        np.testing.assert_array_equal(plain[3], fast[3])


def test_plain_and_fast_steps_reseed_an_empty_cluster_alike():
    X, weight, centers = _small_problem(0)
    centers[2] = 1e3  # no sample is nearest to this centre
    plain = _lloyd_step(X, centers, sample_weight=weight)
    fast = _lloyd_step_fast(X, centers, sample_weight=weight)
    assert plain[3].tolist() == fast[3].tolist() == [2]
    np.testing.assert_array_equal(plain[0], fast[0])
    np.testing.assert_allclose(plain[1], fast[1], rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("seed", range(4))
def test_plain_kmeans_plusplus_picks_the_fast_kernels_seeds(seed):
    X, weight, _ = _small_problem(seed)
    for w in (np.ones(X.shape[0]), weight):
        _, fast = kmeans_plusplus(X, 6, sample_weight=w, random_state=seed)
        centers, plain = _kmeans_plusplus(X, 6, w, np.random.default_rng(seed), 2 + int(np.log(6)))
        np.testing.assert_array_equal(plain, fast)
        np.testing.assert_array_equal(centers, X[fast])


def test_plain_lloyd_iterations_equal_the_fast_ones():
    X, weight, centers = _small_problem(7, n=500)
    x_sq = np.einsum("ij,ij->i", X, X)
    fast = _kmeans_single(X, weight, centers, 100, 1e-10, x_sq)
    plain = _kmeans_single(X, weight, centers, 100, 1e-10, x_sq, step=_lloyd_step)
    np.testing.assert_array_equal(plain[0], fast[0])  # labels
    assert plain[1] == fast[1]  # final inertia: the same kernel on the same centres...
    np.testing.assert_allclose(plain[2], fast[2], rtol=1e-12, atol=1e-13)  # ...which agree to rounding
    assert plain[3] == fast[3] > 2  # iterations
    np.testing.assert_allclose([r["inertia"] for r in plain[4]], [r["inertia"] for r in fast[4]], rtol=1e-12)


def test_worked_example_1d():
    # start from [1], [2]: labels [0,1,1,1] -> centres 1, 23/3 -> labels [0,0,1,1]
    # -> centres 1.5, 10.5 -> labels unchanged: stop.
    X = np.array([[1.0], [2.0], [10.0], [11.0]])
    km = KMeans(n_clusters=2, init=np.array([[1.0], [2.0]]), n_init=1).fit(X)
    assert km.labels_.tolist() == [0, 0, 1, 1]
    np.testing.assert_allclose(km.cluster_centers_, [[1.5], [10.5]])
    assert km.inertia_ == pytest.approx(1.0)
    assert km.n_iter_ == 3
    np.testing.assert_allclose(km.history_.column("inertia"), [145.0, 158.0 / 9.0, 1.0])
    assert isinstance(km.history_, History)


# --- parity with scikit-learn ---------------------------------------------------------


@pytest.mark.parametrize("name", ["blobs", "iris", "digits"])
def test_same_start_same_result_as_sklearn(data, name):
    X, k = data[name], N_CLUSTERS[name]
    rng = np.random.default_rng(7)
    for _ in range(3):
        start = X[rng.choice(X.shape[0], size=k, replace=False)]
        ours = KMeans(n_clusters=k, init=start, n_init=1).fit(X)
        ref = SkKMeans(n_clusters=k, init=start, n_init=1).fit(X)
        assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-8)
        np.testing.assert_array_equal(ours.labels_, ref.labels_)
        assert ours.n_iter_ == ref.n_iter_
        np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-8, atol=1e-10)


def test_same_start_same_result_as_sklearn_large():
    # enough rows for the assignment to be split over threads
    from sklearn.datasets import make_blobs

    X = make_blobs(n_samples=60_000, n_features=5, centers=6, cluster_std=3.0, random_state=0)[0]
    start = X[:6]
    ours = KMeans(6, init=start, n_init=1, max_iter=30).fit(X)
    ref = SkKMeans(6, init=start, n_init=1, max_iter=30).fit(X)
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-8)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    assert ours.n_iter_ == ref.n_iter_


def test_same_start_with_sample_weight_as_sklearn(data):
    X = data["iris"]
    w = np.random.default_rng(3).uniform(0.2, 3.0, X.shape[0])
    start = X[[0, 60, 120]]
    ours = KMeans(3, init=start, n_init=1).fit(X, sample_weight=w)
    ref = SkKMeans(3, init=start, n_init=1).fit(X, sample_weight=w)
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-8)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    assert ours.score(X, sample_weight=w) == pytest.approx(ref.score(X, sample_weight=w), rel=1e-8)


@pytest.mark.parametrize("name", ["blobs", "iris", "digits"])
def test_best_of_n_init_not_worse_than_sklearn(data, name):
    X, k = data[name], N_CLUSTERS[name]
    for seed in range(5):
        ours = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(X)
        ref = SkKMeans(n_clusters=k, n_init=10, random_state=seed).fit(X)
        assert ours.inertia_ <= ref.inertia_ * 1.001, (seed, ours.inertia_, ref.inertia_)


def test_transform_predict_score_match_sklearn(data):
    X = data["blobs"]
    start = X[:4]
    ours = KMeans(4, init=start, n_init=1).fit(X)
    ref = SkKMeans(4, init=start, n_init=1).fit(X)
    Z = np.random.default_rng(0).normal(size=(50, 2)) * 5
    np.testing.assert_allclose(ours.transform(Z), ref.transform(Z), rtol=1e-9)
    np.testing.assert_array_equal(ours.predict(Z), ref.predict(Z))
    assert ours.score(Z) == pytest.approx(ref.score(Z), rel=1e-9)


# --- invariants -------------------------------------------------------------------


@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_history_inertia_never_increases(data, init):
    X = data["digits"]
    km = KMeans(10, init=init, n_init=1, tol=0, random_state=1).fit(X)
    inertia = km.history_.column("inertia")
    assert inertia.size == km.n_iter_ >= 2
    assert np.all(np.diff(inertia) <= 1e-9 * inertia[0])
    assert km.inertia_ <= inertia[-1] * (1 + 1e-12)
    assert km.history_[0]["n_changed"] == X.shape[0]


def test_fitted_state_is_consistent(data):
    X = data["blobs"]
    km = KMeans(4, random_state=0).fit(X)
    np.testing.assert_array_equal(km.predict(X), km.labels_)
    np.testing.assert_array_equal(KMeans(4, random_state=0).fit_predict(X), km.labels_)
    assert -km.score(X) == pytest.approx(km.inertia_, rel=1e-10)
    # every centre is the mean of its cluster
    for j in range(4):
        np.testing.assert_allclose(km.cluster_centers_[j], X[km.labels_ == j].mean(axis=0), atol=1e-10)
    d = km.transform(X)
    assert d.shape == (X.shape[0], 4)
    np.testing.assert_array_equal(d.argmin(axis=1), km.labels_)
    assert km.get_feature_names_out().tolist() == [f"kmeans{j}" for j in range(4)]


def test_reproducible_and_seed_dependent(data):
    X = data["digits"]
    a = KMeans(10, n_init=1, random_state=5).fit(X)
    b = KMeans(10, n_init=1, random_state=5).fit(X)
    c = KMeans(10, n_init=1, random_state=6).fit(X)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert not np.allclose(a.cluster_centers_, c.cluster_centers_)


def test_result_does_not_depend_on_threads(data, monkeypatch):
    from sklearn.datasets import make_blobs

    from mlatlas import _parallel

    threaded = []
    parallel_map = _parallel.parallel_map

    def spy(fn, items, *, n_threads=None):
        items = list(items)
        threaded.append(min(n_threads or _parallel.available_cpus(), len(items)) > 1)
        return parallel_map(fn, items, n_threads=n_threads)

    monkeypatch.setattr(_parallel, "parallel_map", spy)
    big = make_blobs(n_samples=45_000, n_features=4, centers=5, cluster_std=2.0, random_state=1)[0]
    for X, k, n_init in ((data["digits"], 10, 4), (big, 5, 2)):  # starts in parallel; rows in parallel
        fits = []
        for n_threads in (1, 2):
            monkeypatch.setattr(_parallel, "available_cpus", lambda n=n_threads: n)
            threaded.clear()
            fits.append(KMeans(k, n_init=n_init, random_state=3).fit(X))
            assert any(threaded) == (n_threads == 2)  # the threaded path ran (only) on 2 threads
        np.testing.assert_array_equal(fits[0].labels_, fits[1].labels_)
        assert fits[0].inertia_ == pytest.approx(fits[1].inertia_, rel=1e-12)
        assert fits[0].n_iter_ == fits[1].n_iter_


def test_kmeans_plusplus_spreads_and_respects_weights():
    rng = np.random.default_rng(0)
    groups = np.array([[0, 0], [50, 0], [0, 50], [50, 50]], dtype=float)
    X = np.repeat(groups, 25, axis=0) + rng.normal(scale=0.5, size=(100, 2))
    for seed in range(5):
        centers, idx = kmeans_plusplus(X, 4, random_state=seed)
        assert sorted(i // 25 for i in idx) == [0, 1, 2, 3]  # one seed per far-apart group
        np.testing.assert_array_equal(centers, X[idx])
    w = np.ones(100)
    w[:50] = 0.0  # the first two groups cannot be picked
    _, idx = kmeans_plusplus(X, 2, sample_weight=w, random_state=0)
    assert np.all(idx >= 50)


def test_random_init_picks_distinct_samples_and_converges(data):
    X = data["iris"]
    km = KMeans(3, init="random", n_init=5, random_state=0).fit(X)
    ref = SkKMeans(3, n_init=10, random_state=0).fit(X)
    assert km.inertia_ <= ref.inertia_ * 1.001


# --- warnings ---------------------------------------------------------------------


def test_empty_cluster_is_reseeded_with_farthest_point():
    X = np.array([[0.0], [1.0], [3.0], [10.0], [11.0], [12.0]])
    start = np.array([[1.0], [11.0], [100.0]])  # nobody is nearest to 100
    with pytest.warns(EmptyClusterWarning, match=r"clusters \[2\].*farthest"):
        km = KMeans(3, init=start, n_init=1).fit(X)
    assert km.history_[0]["reseeded"] == [2]
    # 3 was the sample farthest from its centre (1): it becomes cluster 2
    np.testing.assert_allclose(np.sort(km.cluster_centers_.ravel()), [0.5, 3.0, 11.0])
    assert km.inertia_ == pytest.approx(2.5)
    assert np.unique(km.labels_).size == 3


def test_fewer_distinct_points_than_clusters_warns():
    X = np.array([[0.0, 0.0]] * 5 + [[1.0, 1.0]] * 5)
    with pytest.warns(EmptyClusterWarning, match="only 2 distinct clusters"):
        KMeans(3, n_init=2, random_state=0).fit(X)


def test_array_init_with_several_starts_warns():
    X = np.arange(20.0).reshape(10, 2)
    with pytest.warns(RuntimeWarning, match="only one run"):
        km = KMeans(2, init=X[:2], n_init=5).fit(X)
    assert km.n_iter_ >= 1


def test_no_warning_on_clean_data(data):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        KMeans(4, random_state=0).fit(data["blobs"])


# --- errors ----------------------------------------------------------------------


@pytest.mark.parametrize("params, error, match", [
    ({"n_clusters": 0}, ValueError, "n_clusters must be an int >= 1; got 0"),
    ({"n_clusters": 2.5}, TypeError, "n_clusters must be an int"),
    ({"n_init": 0}, ValueError, "n_init must be an int >= 1; got 0"),
    ({"max_iter": 0}, ValueError, "max_iter must be an int >= 1; got 0"),
    ({"tol": -1.0}, ValueError, "tol must be a finite real number >= 0; got -1.0"),
    ({"tol": np.nan}, ValueError, "tol must be a finite real number >= 0; got nan"),
    ({"init": "kmeans"}, ValueError, "init must be 'k-means\\+\\+', 'random'"),
    ({"init": np.zeros((3, 5))}, ValueError, r"init array must have shape .*\(2, 2\); got \(3, 5\)"),
    ({"n_clusters": 50}, ValueError, "n_samples=10 should be >= n_clusters=50"),
])
def test_bad_parameters(params, error, match):
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(error, match=match):
        KMeans(**{"n_clusters": 2, **params}).fit(X)


def test_bad_sample_weight():
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match="sample_weight must be non-negative; got a minimum of -1.0"):
        KMeans(2).fit(X, sample_weight=-np.ones(10))
    with pytest.raises(ValueError, match="sample_weight must not be all zero"):
        KMeans(2).fit(X, sample_weight=np.zeros(10))
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(10,\)"):
        KMeans(2).fit(X, sample_weight=np.ones(3))


def test_predict_needs_fit_and_same_width():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        KMeans().predict(np.zeros((2, 2)))
    km = KMeans(2, random_state=0).fit(np.random.default_rng(0).normal(size=(20, 3)))
    with pytest.raises(ValueError, match="features"):
        km.predict(np.zeros((2, 4)))


# --- persistence and the estimator contract --------------------------------------------


def test_save_load_round_trip(tmp_path, data):
    X = data["iris"]
    km = KMeans(3, random_state=0).fit(X)
    path = tmp_path / "kmeans.npz"
    save_model(km, path)
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(X), km.predict(X))
    np.testing.assert_array_equal(loaded.transform(X), km.transform(X))
    assert loaded.inertia_ == km.inertia_
    assert isinstance(loaded.history_, History)
    assert loaded.history_.column("inertia").tolist() == km.history_.column("inertia").tolist()
    assert loaded.get_params() == {**km.get_params(), "init": "k-means++"}


@parametrize_with_checks(
    [KMeans(n_init=2)],
    expected_failed_checks=lambda est: {
        "check_sample_weight_equivalence_on_dense_data":
            "the random starts are drawn over the rows, so repeated rows and integer weights "
            "start from different centres (and label numbering is arbitrary)",
    },
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# --- large and small finite inputs ------------------------------------------------------


@pytest.mark.parametrize("name", ["iris", "digits"])
@pytest.mark.parametrize("scale", [1e150, 1e-150, 1e-300])
@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_clustering_is_unchanged_by_the_scale_of_the_data(name, scale, init):
    # squares of the data would overflow (1e150) or underflow (1e-150): k-means runs on
    # X / 2^k and scales the centres and the inertia back
    X = datasets.load(name).X
    base = KMeans(4, init=init, n_init=2, random_state=0).fit(X)
    scaled = KMeans(4, init=init, n_init=2, random_state=0).fit(X * scale)
    np.testing.assert_array_equal(scaled.labels_, base.labels_)
    np.testing.assert_allclose(scaled.cluster_centers_ / scale, base.cluster_centers_, rtol=1e-12, atol=1e-12)
    # the inertia is a sum of squares: at 1e-300 its true value (1e-598) rounds to 0
    np.testing.assert_allclose(scaled.inertia_, base.inertia_ * scale**2, rtol=1e-10)
    np.testing.assert_array_equal(scaled.predict(X * scale), base.predict(X))
    np.testing.assert_allclose(scaled.transform(X * scale) / scale, base.transform(X), rtol=1e-9, atol=1e-12)
    assert scaled.score(X * scale) == pytest.approx(base.score(X) * scale**2, rel=1e-10)


@pytest.mark.parametrize("exponent", [500, -500])
def test_power_of_two_scales_give_bit_identical_fits(exponent):
    # multiplying X by 2^k is exact, and so is the rescaling inside: the whole fit,
    # history included, is the fit on X with every length times 2^k
    X = datasets.load("digits").X
    scale = 2.0**exponent
    base = KMeans(5, n_init=2, random_state=0).fit(X)
    scaled = KMeans(5, n_init=2, random_state=0).fit(X * scale)
    np.testing.assert_array_equal(scaled.labels_, base.labels_)
    np.testing.assert_array_equal(scaled.cluster_centers_, base.cluster_centers_ * scale)
    assert scaled.inertia_ == base.inertia_ * scale**2
    assert len(scaled.history_) == len(base.history_)
    for ours, ref in zip(scaled.history_, base.history_):
        assert ours["inertia"] == ref["inertia"] * scale**2
        assert ours["center_shift"] == ref["center_shift"] * scale**2
        assert ours["n_changed"] == ref["n_changed"]


def test_large_data_match_scikit_learn_at_1e150(data):
    # scikit-learn's own distances still fit float64 at 1e150; same start, same result
    X = data["iris"] * 1e150
    start = X[[0, 60, 120]]
    ours = KMeans(3, init=start, n_init=1).fit(X)
    ref = SkKMeans(3, init=start, n_init=1, algorithm="lloyd").fit(X)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-12)
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-9)


def test_an_inertia_beyond_float64_is_a_clear_error(data):
    X = data["iris"]
    with pytest.raises(ValueError, match="X is too large: the inertia"):
        KMeans(3, n_init=1, random_state=0).fit(X * 1e155)
    model = KMeans(3, n_init=1, random_state=0).fit(X)
    # labels and distances are still found for far-away data; the inertia is not representable
    np.testing.assert_array_equal(model.predict(X * 1e200), model.predict(X * 1e200 * 2))
    assert np.all(np.isfinite(model.transform(X * 1e150)))
    with pytest.raises(ValueError, match="X is too large: the inertia"):
        model.score(X * 1e200)
    with pytest.raises(ValueError, match="distances to the centres overflow"):
        model.transform(np.full((1, 4), 1.7e308))
