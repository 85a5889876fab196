"""k-nearest neighbours: a hand-worked case, parity with scikit-learn (brute force),
ties, exact matches under distance weights, the estimator contract and errors."""

import numpy as np
import pytest
from sklearn import neighbors as skn
from sklearn.utils.estimator_checks import parametrize_with_checks

from mlatlas.persistence import load_model, save_model
from mlatlas.supervised import neighbors
from mlatlas.supervised.neighbors import (KNeighborsClassifier, KNeighborsRegressor, _kneighbors_plain,
                                          brute_kneighbors)

KS = (1, 3, 7, 20)
PS = (1, 2, 3, np.inf)
WEIGHTS = ("uniform", "distance")


def _sk_classifier(k, weights, p):
    return skn.KNeighborsClassifier(n_neighbors=k, weights=weights, p=p, algorithm="brute")


def _sk_regressor(k, weights, p):
    return skn.KNeighborsRegressor(n_neighbors=k, weights=weights, p=p, algorithm="brute")


@pytest.fixture(scope="module")
def continuous():
    """600 training points and 300 queries in 5-D (they span several 256-row tiles)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((600, 5))
    y = rng.integers(0, 3, 600)
    y_reg = X @ np.array([1.0, -2.0, 0.5, 0.0, 3.0]) + rng.standard_normal(600)
    return X, y, y_reg, rng.standard_normal((300, 5))


# ---------------------------------------------------------------------------
# The plain search and the fast kernel agree
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("p", PS)
@pytest.mark.parametrize("k", KS)
def test_plain_search_finds_the_fast_kernels_neighbours(continuous, p, k):
    X, _, _, Xq = continuous
    fast_d, fast_i = brute_kneighbors(Xq, X, k, p=p)
    plain_d, plain_i = _kneighbors_plain(Xq, X, k, p=p)
    np.testing.assert_array_equal(plain_i, fast_i)  # continuous data: no ties
    np.testing.assert_allclose(plain_d, fast_d, rtol=1e-12, atol=0)


@pytest.mark.parametrize("weights", WEIGHTS)
def test_predictions_from_the_plain_search_equal_the_fast_ones(continuous, monkeypatch, weights):
    X, y, y_reg, Xq = continuous
    Xq = np.vstack([Xq, X[:5]])  # exact matches too (distance weights then pick them)
    models = (KNeighborsClassifier(n_neighbors=7, weights=weights, p=3).fit(X, y),
              KNeighborsRegressor(n_neighbors=7, weights=weights).fit(X, y_reg))
    fast = [(models[0].predict(Xq), models[0].predict_proba(Xq)), models[1].predict(Xq)]
    monkeypatch.setattr(neighbors._kernels, "tiled_kneighbors",
                        lambda X, Y, k, p, X_sq, Y_sq, n_threads: _kneighbors_plain(X, Y, k, p))
    np.testing.assert_array_equal(models[0].predict(Xq), fast[0][0])
    np.testing.assert_allclose(models[0].predict_proba(Xq), fast[0][1], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(models[1].predict(Xq), fast[1], rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------------------
# Worked by hand
# ---------------------------------------------------------------------------


def test_one_dimensional_case_worked_by_hand():
    X = np.array([[0.0], [1.0], [2.0], [4.0], [7.0]])
    y = np.array(["a", "a", "b", "b", "b"])
    y_reg = np.array([0.0, 1.0, 2.0, 4.0, 7.0])
    query = np.array([[1.5]])
    # distances to 0, 1, 2, 4, 7: 1.5, 0.5, 0.5, 2.5, 5.5 -> k = 3 takes 1, 2, 0
    clf = KNeighborsClassifier(n_neighbors=3).fit(X, y)
    dist, ind = clf.kneighbors(query)
    # 1 and 2 tie at 0.5; they are listed in the order the heap left them
    # (see test_tie_rule_is_the_heap_rule_not_lowest_index_first)
    assert ind.tolist() == [[2, 1, 0]]
    np.testing.assert_allclose(dist, [[0.5, 0.5, 1.5]], atol=1e-15)
    # votes: a (indices 1, 0), b (index 2) -> P(a) = 2/3
    np.testing.assert_allclose(clf.predict_proba(query), [[2 / 3, 1 / 3]], atol=1e-15)
    assert clf.predict(query).tolist() == ["a"]
    # distance weights 1/0.5, 1/0.5, 1/1.5 = 2, 2, 2/3: a gets 2 + 2/3, b gets 2
    weighted = KNeighborsClassifier(n_neighbors=3, weights="distance").fit(X, y)
    np.testing.assert_allclose(weighted.predict_proba(query), [[(8 / 3) / (14 / 3), 2 / (14 / 3)]], atol=1e-15)
    # regression: mean of 1, 2, 0 = 1; weighted (2*1 + 2*2 + 2/3*0) / (14/3) = 9/7
    assert KNeighborsRegressor(n_neighbors=3).fit(X, y_reg).predict(query)[0] == pytest.approx(1.0, abs=1e-15)
    got = KNeighborsRegressor(n_neighbors=3, weights="distance").fit(X, y_reg).predict(query)[0]
    assert got == pytest.approx(9 / 7, abs=1e-15)
    # Manhattan and Chebyshev on a 2-D pair: |3| + |4| = 7 and max(3, 4) = 4
    for p, expected in ((1, 7.0), (np.inf, 4.0), (2, 5.0), (3, (27 + 64) ** (1 / 3))):
        d, _ = KNeighborsRegressor(n_neighbors=1, p=p).fit([[0.0, 0.0]], [0.0]).kneighbors([[3.0, 4.0]])
        assert d[0, 0] == pytest.approx(expected, rel=1e-14)


def test_brute_search_against_a_full_sort(rng):
    X, Y = rng.standard_normal((300, 7)), rng.standard_normal((700, 7))
    full = np.sqrt(((X[:, None, :] - Y[None, :, :]) ** 2).sum(axis=-1))  # (300, 700)
    for k in (1, 4, 30):
        dist, ind = brute_kneighbors(X, Y, k)
        order = np.argsort(full, axis=1, kind="stable")[:, :k]
        np.testing.assert_array_equal(ind, order)
        np.testing.assert_allclose(dist, np.take_along_axis(full, order, axis=1), rtol=1e-13, atol=1e-13)
        assert np.all(np.diff(dist, axis=1) >= 0)


# ---------------------------------------------------------------------------
# Parity with scikit-learn's brute-force search
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("p", PS)
@pytest.mark.parametrize("weights", WEIGHTS)
def test_classifier_matches_sklearn(continuous, weights, p):
    X, y, _, Xq = continuous
    for k in KS:
        ours = KNeighborsClassifier(n_neighbors=k, weights=weights, p=p).fit(X, y)
        ref = _sk_classifier(k, weights, p).fit(X, y)
        np.testing.assert_array_equal(ours.predict(Xq), ref.predict(Xq))
        np.testing.assert_allclose(ours.predict_proba(Xq), ref.predict_proba(Xq), rtol=0, atol=1e-12)
        dist, ind = ours.kneighbors(Xq)
        ref_dist, ref_ind = ref.kneighbors(Xq)
        np.testing.assert_array_equal(ind, ref_ind)
        np.testing.assert_allclose(dist, ref_dist, rtol=0, atol=1e-8)
        np.testing.assert_array_equal(ours.kneighbors(Xq, return_distance=False), ref_ind)


@pytest.mark.parametrize("p", PS)
@pytest.mark.parametrize("weights", WEIGHTS)
def test_regressor_matches_sklearn(continuous, weights, p):
    X, _, y, Xq = continuous
    for k in KS:
        ours = KNeighborsRegressor(n_neighbors=k, weights=weights, p=p).fit(X, y).predict(Xq)
        ref = _sk_regressor(k, weights, p).fit(X, y).predict(Xq)
        # same neighbours; only the last bits of the distances (hence weights) may differ
        np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=0)
        if p != 2 or weights == "uniform":
            # no GEMM involved in the numbers used: exactly the same additions
            np.testing.assert_array_equal(ours, ref)


def test_multioutput_regression_matches_sklearn(continuous):
    X, _, y, Xq = continuous
    Y = np.column_stack([y, y ** 2, -y])
    for weights in WEIGHTS:
        ours = KNeighborsRegressor(n_neighbors=4, weights=weights).fit(X, Y).predict(Xq)
        assert ours.shape == (Xq.shape[0], 3)
        np.testing.assert_allclose(ours, _sk_regressor(4, weights, 2).fit(X, Y).predict(Xq), rtol=1e-12)


def test_leave_one_out_queries_match_sklearn(continuous):
    X, y, y_reg, _ = continuous
    for p in (1, 2):
        ours = KNeighborsClassifier(n_neighbors=6, p=p).fit(X, y)
        ref = _sk_classifier(6, "uniform", p).fit(X, y)
        dist, ind = ours.kneighbors()
        ref_dist, ref_ind = ref.kneighbors()
        np.testing.assert_array_equal(ind, ref_ind)
        np.testing.assert_allclose(dist, ref_dist, atol=1e-8)
        assert not np.any(ind == np.arange(X.shape[0])[:, None])  # nobody is its own neighbour
        np.testing.assert_array_equal(ours.predict(), ref.predict(None))
        reg = KNeighborsRegressor(n_neighbors=6, p=p, weights="distance").fit(X, y_reg)
        np.testing.assert_allclose(reg.predict(), _sk_regressor(6, "distance", p).fit(X, y_reg).predict(None),
                                   rtol=1e-12)


def test_iris_standardized_matches_sklearn():
    from sklearn.datasets import load_iris
    from sklearn.preprocessing import StandardScaler

    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    for k in (1, 5, 15):
        for weights in WEIGHTS:
            ours = KNeighborsClassifier(n_neighbors=k, weights=weights).fit(X[::2], y[::2])
            ref = _sk_classifier(k, weights, 2).fit(X[::2], y[::2])
            np.testing.assert_array_equal(ours.predict(X[1::2]), ref.predict(X[1::2]))
            np.testing.assert_allclose(ours.predict_proba(X[1::2]), ref.predict_proba(X[1::2]), atol=1e-12)


# ---------------------------------------------------------------------------
# Ties between equal distances
# ---------------------------------------------------------------------------


def _grid_data(seed, n_train, n_queries):
    """Points on a small integer grid: many exactly equal distances (exact in float64)."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 4, size=(n_train, 2)).astype(float)
    queries = rng.integers(0, 4, size=(n_queries, 2)) + rng.choice([0.0, 0.5], size=(n_queries, 2))
    return X, rng.integers(0, 3, n_train), rng.standard_normal(n_train), queries


@pytest.mark.parametrize("p", (1, 2, np.inf))
def test_ties_are_broken_as_sklearn_does(p):
    # More queries than training points: scikit-learn then scans the training points in
    # index order for each query (its "parallel_on_X" strategy), as we always do.
    for seed in range(3):
        X, y, y_reg, Xq = _grid_data(seed, 150, 220)
        for k in (1, 3, 5, 8, 15):
            for weights in WEIGHTS:
                ours = KNeighborsClassifier(n_neighbors=k, weights=weights, p=p).fit(X, y)
                ref = _sk_classifier(k, weights, p).fit(X, y)
                dist, ind = ours.kneighbors(Xq)
                ref_dist, ref_ind = ref.kneighbors(Xq)
                np.testing.assert_array_equal(ind, ref_ind)  # same set and same order (k <= 15)
                np.testing.assert_allclose(dist, ref_dist, atol=1e-12)
                np.testing.assert_array_equal(ours.predict(Xq), ref.predict(Xq))
                np.testing.assert_allclose(ours.predict_proba(Xq), ref.predict_proba(Xq), atol=1e-12)
                reg = KNeighborsRegressor(n_neighbors=k, weights=weights, p=p).fit(X, y_reg)
                np.testing.assert_allclose(reg.predict(Xq), _sk_regressor(k, weights, p).fit(X, y_reg).predict(Xq),
                                           rtol=1e-12, atol=1e-12)


def test_tie_rule_is_the_heap_rule_not_lowest_index_first():
    # Four training points at distances 2, 2, 1, 1 from the query, k = 3.  The heap
    # (root = worst kept, empty slots = inf) takes 0 and 1 (both at 2) below an empty
    # root.  Point 2 (at 1) fills the root and sinks: of the two equal children the left
    # one, point 0, moves up to the root.  Point 3 (at 1) then evicts the root, point 0:
    # {1, 2, 3} are kept, where "lowest index first" would keep {0, 2, 3}.
    # scikit-learn's brute force gives exactly what we give.
    X = np.array([[2.0], [-2.0], [1.0], [-1.0]])
    Xq = np.zeros((10, 1))  # more queries than points: scikit-learn scans in index order
    _, ind = KNeighborsRegressor(n_neighbors=3).fit(X, np.arange(4.0)).kneighbors(Xq)
    _, ref_ind = skn.NearestNeighbors(n_neighbors=3, algorithm="brute").fit(X).kneighbors(Xq)
    np.testing.assert_array_equal(ind, ref_ind)
    assert ind[0].tolist() == [2, 3, 1]


# ---------------------------------------------------------------------------
# Queries equal to training points under distance weights
# ---------------------------------------------------------------------------


def test_exact_match_gets_all_the_weight():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [3.0, 3.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0, 1, 2])
    y_reg = np.array([10.0, 20.0, 30.0, 40.0, 50.0, 60.0])
    queries = np.array([[0.0, 0.0], [1.0, 1.0], [0.4, 0.3]])
    clf = KNeighborsClassifier(n_neighbors=4, weights="distance").fit(X, y)
    dist, _ = clf.kneighbors(queries)
    assert dist[0, 0] == 0.0 and dist[1, 0] == 0.0 and dist[1, 1] == 0.0
    proba = clf.predict_proba(queries)
    # [0, 0] is training point 0 (class 0) only; [1, 1] is points 3 (class 0) and 5 (class 2)
    np.testing.assert_array_equal(proba[0], [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(proba[1], [0.5, 0.0, 0.5])
    assert clf.predict(queries[:2]).tolist() == [0, 0]  # tie between 0 and 2: the first class
    reg = KNeighborsRegressor(n_neighbors=4, weights="distance").fit(X, y_reg)
    pred = reg.predict(queries)
    assert pred[0] == 10.0 and pred[1] == 50.0  # the duplicates' mean (40 + 60) / 2
    # scikit-learn (its squared distances are exact here) agrees on every query
    np.testing.assert_allclose(proba, _sk_classifier(4, "distance", 2).fit(X, y).predict_proba(queries), atol=1e-12)
    np.testing.assert_allclose(pred, _sk_regressor(4, "distance", 2).fit(X, y_reg).predict(queries), rtol=1e-12)


def test_exact_match_is_exact_even_when_the_expansion_rounds(rng):
    # ||x||^2 - 2 x.y + ||y||^2 rarely gives exactly 0 for x = y with non-integer data;
    # the neighbours' distances are recomputed directly, so a match is always exact.
    X = rng.standard_normal((400, 20)) * 10 + 5
    y_reg = rng.standard_normal(400)
    reg = KNeighborsRegressor(n_neighbors=5, weights="distance").fit(X, y_reg)
    dist, ind = reg.kneighbors(X)
    np.testing.assert_array_equal(ind[:, 0], np.arange(400))
    np.testing.assert_array_equal(dist[:, 0], 0.0)
    np.testing.assert_array_equal(reg.predict(X), y_reg)


# ---------------------------------------------------------------------------
# Invariants, threads, persistence
# ---------------------------------------------------------------------------


def test_probabilities_and_labels_are_consistent(continuous):
    X, y, _, Xq = continuous
    labels = np.array(["cat", "dog", "emu"])[y]
    clf = KNeighborsClassifier(n_neighbors=6).fit(X, labels)
    proba = clf.predict_proba(Xq)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-15)
    np.testing.assert_array_equal(clf.predict(Xq), clf.classes_[np.argmax(proba, axis=1)])
    assert set(np.round(proba.ravel() * 6, 10)) <= set(range(7))  # shares of 6 votes
    np.testing.assert_array_equal(clf.classes_, ["cat", "dog", "emu"])
    np.testing.assert_array_equal(clf.kneighbors(Xq, n_neighbors=2)[1], clf.kneighbors(Xq)[1][:, :2])


def test_thread_count_does_not_change_results(monkeypatch):
    from mlatlas import _parallel

    pools = []
    parallel_map = _parallel.parallel_map

    def spy(fn, items, *, n_threads=None):
        if n_threads > 1:
            pools.append(n_threads)
        return parallel_map(fn, items, n_threads=n_threads)

    monkeypatch.setattr(_parallel, "parallel_map", spy)
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((2100, 5)), rng.integers(0, 4, 2100)
    Xq = rng.standard_normal((2000, 5))  # 4.2 million pairs, eight chunks of queries
    for p in (2, 1):
        one = KNeighborsClassifier(n_neighbors=9, p=p, n_jobs=1).fit(X, y).kneighbors(Xq)
        assert pools == []
        many = KNeighborsClassifier(n_neighbors=9, p=p, n_jobs=3).fit(X, y).kneighbors(Xq)
        assert pools == [3]  # the threaded path did run
        pools.clear()
        np.testing.assert_array_equal(one[1], many[1])
        np.testing.assert_array_equal(one[0], many[0])


@pytest.mark.parametrize("weights", WEIGHTS)
def test_save_load_round_trip(tmp_path, continuous, weights):
    X, y, y_reg, Xq = continuous
    for model, target in ((KNeighborsClassifier(n_neighbors=4, weights=weights, p=1), np.array(list("abc"))[y]),
                          (KNeighborsRegressor(n_neighbors=4, weights=weights), y_reg)):
        model.fit(X, target)
        path = tmp_path / f"{type(model).__name__}.npz"
        save_model(model, path)
        loaded = load_model(path)
        assert type(loaded) is type(model) and loaded.get_params() == model.get_params()
        np.testing.assert_array_equal(loaded.predict(Xq), model.predict(Xq))
        np.testing.assert_array_equal(loaded.kneighbors(Xq)[1], model.kneighbors(Xq)[1])
        if hasattr(model, "predict_proba"):
            np.testing.assert_array_equal(loaded.predict_proba(Xq), model.predict_proba(Xq))


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"n_neighbors": 0}, ValueError, "n_neighbors must be an int >= 1; got 0"),
        ({"n_neighbors": 2.5}, TypeError, "n_neighbors must be an int >= 1; got float 2.5"),
        ({"n_neighbors": True}, TypeError, "n_neighbors must be an int"),
        ({"weights": "gaussian"}, ValueError, "weights must be one of 'uniform', 'distance'; got 'gaussian'"),
        ({"p": 0.5}, ValueError, "p must be a real number >= 1 or inf; got 0.5"),
        ({"p": "2"}, TypeError, "p must be a real number"),
        ({"p": float("nan")}, ValueError, "p must be a real number >= 1 or inf; got nan"),
        ({"n_jobs": 0}, ValueError, "n_jobs must be an int >= 1, or None; got 0"),
    ],
)
def test_bad_parameters_are_named(params, error, match):
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10) % 2
    for cls in (KNeighborsClassifier, KNeighborsRegressor):
        with pytest.raises(error, match=match):
            cls(**params).fit(X, y)


def test_too_many_neighbours_is_a_clear_error():
    X, y = np.arange(8.0).reshape(4, 2), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="n_neighbors = 5, n_samples = 4"):
        KNeighborsClassifier(n_neighbors=5).fit(X, y)
    model = KNeighborsClassifier(n_neighbors=3).fit(X, y)
    with pytest.raises(ValueError, match="n_neighbors = 6, n_samples_fit = 4"):
        model.kneighbors(X, n_neighbors=6)
    with pytest.raises(ValueError, match="must be < n_samples_fit; got n_neighbors = 4"):
        model.kneighbors(None, n_neighbors=4)
    with pytest.raises(ValueError, match="n_neighbors must be an int >= 1; got 0"):
        model.kneighbors(X, n_neighbors=0)
    with pytest.raises(ValueError, match="features"):
        model.predict(np.zeros((2, 3)))


# ---------------------------------------------------------------------------
# The scikit-learn estimator contract
# ---------------------------------------------------------------------------


@parametrize_with_checks([
    KNeighborsClassifier(),
    KNeighborsClassifier(n_neighbors=3, weights="distance", p=1),
    KNeighborsRegressor(),
    KNeighborsRegressor(n_neighbors=3, weights="distance", p=np.inf),
])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# ---------------------------------------------------------------------------
# Large and small finite inputs: the search divides by a power of two first
# ---------------------------------------------------------------------------

SCALES = [1e150, 1e155, 1e300, 1e-155, 1e-300]


def _split(name):
    from sklearn.datasets import load_digits, load_iris

    X, y = (load_iris if name == "iris" else load_digits)(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(X))
    return X[order[: len(X) // 2]], y[order[: len(X) // 2]], X, y


@pytest.mark.parametrize("name", ["iris", "digits"])
@pytest.mark.parametrize("p", [2, 1, np.inf])
def test_scaled_data_match_scikit_learn_brute_force_at_1e150(name, p):
    # at 1e150 scikit-learn's own expansion still fits in float64, so it is the reference;
    # more queries than training points: scikit-learn then offers points in our order
    X_train, y_train, X, y = _split(name)
    s = 1e150
    ours = KNeighborsClassifier(p=p).fit(X_train * s, y_train)
    ref = skn.KNeighborsClassifier(algorithm="brute", p=p).fit(X_train * s, y_train)
    np.testing.assert_array_equal(ours.predict(X * s), ref.predict(X * s))
    assert ours.score(X * s, y) == ref.score(X * s, y)
    d_ours, _ = ours.kneighbors(X * s)
    d_ref, _ = ref.kneighbors(X * s)
    # scikit-learn's expansion leaves about sqrt(eps) * ||x|| of noise on a distance of 0
    largest_norm = np.sqrt(np.max(np.sum(X**2, axis=1))) * s
    np.testing.assert_allclose(d_ours, d_ref, rtol=1e-9, atol=1e-7 * largest_norm)


def _jittered(name):
    # the integer features of iris and digits make many exactly tied distances, which
    # rounding at another scale may break another way; a little noise leaves no ties
    X_train, y_train, X, y = _split(name)
    rng = np.random.default_rng(1)
    return X_train + 0.01 * rng.random(X_train.shape), y_train, X + 0.01 * rng.random(X.shape), y


@pytest.mark.parametrize("name", ["iris", "digits"])
@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_classifier_is_unchanged_by_the_scale_of_the_data(name, scale, weights):
    X_train, y_train, X, y = _jittered(name)
    base = KNeighborsClassifier(weights=weights).fit(X_train, y_train)
    scaled = KNeighborsClassifier(weights=weights).fit(X_train * scale, y_train)
    np.testing.assert_array_equal(scaled.predict(X * scale), base.predict(X))
    np.testing.assert_allclose(scaled.predict_proba(X * scale), base.predict_proba(X), rtol=1e-9, atol=1e-12)
    d_scaled, i_scaled = scaled.kneighbors(X * scale)
    d_base, i_base = base.kneighbors(X)
    np.testing.assert_array_equal(i_scaled, i_base)
    np.testing.assert_allclose(d_scaled / scale, d_base, rtol=1e-12)


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("p", [2, 1, 3, np.inf])
def test_regressor_is_unchanged_by_the_scale_of_the_data(scale, p):
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    X = X + 1e-4 * np.random.default_rng(0).random(X.shape)  # no tied distances
    base = KNeighborsRegressor(p=p, weights="distance").fit(X[:300], y[:300])
    scaled = KNeighborsRegressor(p=p, weights="distance").fit(X[:300] * scale, y[:300])
    np.testing.assert_allclose(scaled.predict(X[300:] * scale), base.predict(X[300:]), rtol=1e-9)
    assert scaled.score(X[300:] * scale, y[300:]) == pytest.approx(base.score(X[300:], y[300:]), rel=1e-9)
    assert base.score(X[300:], y[300:]) > 0.2


def test_distances_beyond_float64_are_an_error_not_inf():
    X = np.array([[-1.5e308, 0.0], [1.5e308, 0.0], [1.4e308, 1.0]])
    model = KNeighborsClassifier(n_neighbors=1).fit(X, [0, 1, 1])
    # the neighbours are found (and the predictions right) ...
    np.testing.assert_array_equal(model.predict([[-1.0e308, 0.0], [1.0e308, 0.0]]), [0, 1])
    np.testing.assert_array_equal(model.kneighbors([[1.42e308, 0.9]], return_distance=False), [[2]])
    # ... but a distance of 3e308 has no float64 value
    with pytest.raises(ValueError, match="distances overflow float64"):
        KNeighborsClassifier(n_neighbors=2).fit(X, [0, 1, 1]).kneighbors([[-1.5e308, 0.0]])


def test_ordinary_data_are_not_rescaled(monkeypatch):
    # the fast path: nothing is divided, so the search is the one the parity tests check
    from mlatlas.supervised import neighbors

    calls = []
    real = neighbors._search_scale
    monkeypatch.setattr(neighbors, "_search_scale", lambda *a: calls.append(real(*a)) or calls[-1])
    X = np.random.default_rng(0).normal(size=(50, 4)) * 1e6
    KNeighborsRegressor().fit(X, X[:, 0]).predict(X)
    assert calls == [1.0]


@pytest.mark.parametrize("exponent", [500, -500, 1000])
@pytest.mark.parametrize("p", [2, 1, np.inf])
def test_power_of_two_scales_give_bit_identical_neighbours(exponent, p):
    # X * 2^k is exact and so is the search's rescaling: the same neighbours, ties
    # included (digits has many), and distances exactly 2^k times larger
    X_train, y_train, X, _ = _split("digits")
    scale = 2.0**exponent
    base = KNeighborsClassifier(p=p, weights="distance").fit(X_train, y_train)
    scaled = KNeighborsClassifier(p=p, weights="distance").fit(X_train * scale, y_train)
    d_base, i_base = base.kneighbors(X)
    d_scaled, i_scaled = scaled.kneighbors(X * scale)
    np.testing.assert_array_equal(i_scaled, i_base)
    np.testing.assert_array_equal(d_scaled, d_base * scale)
    np.testing.assert_array_equal(scaled.predict_proba(X * scale), base.predict_proba(X))


@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_regression_targets_near_the_float64_limit(weights):
    # the mean of five targets near 1e308 is representable; their sum is not
    X, y = _split("iris")[:2]
    base = KNeighborsRegressor(weights=weights).fit(X, y.astype(float))
    scaled = KNeighborsRegressor(weights=weights).fit(X, y * 8e307)  # up to 1.6e308
    prediction = scaled.predict(X)
    assert np.all(np.isfinite(prediction))
    np.testing.assert_allclose(prediction, base.predict(X) * 8e307, rtol=1e-12)
