"""GaussianMixture: densities and M-step by hand, EM parity with scikit-learn, invariants, errors."""

import numpy as np
import pytest
from scipy import stats
from sklearn.mixture import GaussianMixture as SkGaussianMixture
from sklearn.utils.estimator_checks import parametrize_with_checks

from mlatlas import datasets, load_model, save_model
from mlatlas.base import ConvergenceWarning, History
from mlatlas.unsupervised import GaussianMixture
from mlatlas.unsupervised.gmm import _e_step, _log_gaussian, _m_step, _precisions_cholesky

KINDS = ("full", "tied", "diag", "spherical")


@pytest.fixture(autouse=True)
def _one_native_thread():
    """Run OpenMP/BLAS on one thread: results do not depend on it, and on a busy machine
    (parallel test workers) extra native threads only fight over the cores."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def data():
    return {name: datasets.load(name).X for name in ("blobs", "iris")}


def _as_full(cov, kind, k, d):
    if kind == "full":
        return cov
    if kind == "tied":
        return np.repeat(cov[None], k, axis=0)
    if kind == "diag":
        return np.stack([np.diag(c) for c in cov])
    return np.stack([c * np.eye(d) for c in cov])


# --- the pieces by hand ----------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_log_gaussian_matches_scipy(kind, rng):
    k, d = 3, 4
    X = rng.normal(size=(30, d)) + 100.0  # far from the origin on purpose
    means = rng.normal(size=(k, d)) + 100.0
    A = rng.normal(size=(k, d, d))
    covs = {"full": A @ np.swapaxes(A, 1, 2) + np.eye(d), "tied": A[0] @ A[0].T + np.eye(d),
            "diag": rng.uniform(0.5, 2.0, (k, d)), "spherical": rng.uniform(0.5, 2.0, k)}[kind]
    got = _log_gaussian(X, means, _precisions_cholesky(covs, kind), kind).T  # (n, K)
    full = _as_full(covs, kind, k, d)
    expected = np.column_stack([stats.multivariate_normal(means[j], full[j]).logpdf(X) for j in range(k)])
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-9)


def test_m_step_by_hand():
    # 1-D, two components, fixed responsibilities
    X = np.array([[0.0], [1.0], [2.0], [10.0]])
    resp = np.array([[1.0, 0.0], [0.5, 0.5], [1.0, 0.0], [0.0, 1.0]]).T  # component-major (K, n)
    nk, means, covs = _m_step(X, resp, 0.0, "full")
    np.testing.assert_allclose(nk, [2.5, 1.5])
    # mu_0 = (0 + 0.5 + 2) / 2.5 = 1.0;  mu_1 = (0.5 + 10) / 1.5 = 7
    np.testing.assert_allclose(means.ravel(), [1.0, 7.0])
    # var_0 = (1 + 0 + 1) / 2.5 = 0.8;  var_1 = (0.5 * 36 + 9) / 1.5 = 18
    np.testing.assert_allclose(covs.ravel(), [0.8, 18.0])
    for kind in ("diag", "spherical"):
        np.testing.assert_allclose(_m_step(X, resp, 0.0, kind)[2].ravel(), [0.8, 18.0])
    # tied: the responsibility-weighted pooled variance, (2 + 27) / 4
    np.testing.assert_allclose(_m_step(X, resp, 0.0, "tied")[2].ravel(), [29.0 / 4.0])


def test_e_step_responsibilities_are_posteriors():
    X = np.array([[0.0], [3.0]])
    weights, means = np.array([0.25, 0.75]), np.array([[0.0], [3.0]])
    prec_chol = _precisions_cholesky(np.array([1.0, 4.0]), "spherical")
    mean_ll, log_resp = _e_step(X, weights, means, prec_chol, "spherical")
    dens = weights * np.column_stack([stats.norm(0, 1).pdf(X[:, 0]), stats.norm(3, 2).pdf(X[:, 0])])
    np.testing.assert_allclose(np.exp(log_resp).T, dens / dens.sum(axis=1, keepdims=True), rtol=1e-12)
    assert mean_ll == pytest.approx(np.log(dens.sum(axis=1)).mean(), rel=1e-12)


# --- parity with scikit-learn ---------------------------------------------------------


@pytest.mark.parametrize("name", ["blobs", "iris"])
@pytest.mark.parametrize("kind", KINDS)
def test_same_start_same_fit_as_sklearn(data, name, kind):
    X, k = data[name], 3
    start = SkGaussianMixture(k, covariance_type=kind, max_iter=2, random_state=0)
    with pytest.warns(ConvergenceWarning):
        start.fit(X)
    init = dict(weights_init=start.weights_, means_init=start.means_, precisions_init=start.precisions_)
    ours = GaussianMixture(k, covariance_type=kind, **init).fit(X)
    ref = SkGaussianMixture(k, covariance_type=kind, **init).fit(X)
    _assert_same_mixture(ours, ref, X)
    assert ours.bic(X) == pytest.approx(ref.bic(X), rel=1e-13)
    assert ours.aic(X) == pytest.approx(ref.aic(X), rel=1e-13)


def _assert_near(ours, ref, rel, what):
    """max |ours - ref| <= rel * max |ref| (norm-wise: entries near 0 do not inflate it)."""
    error = float(np.max(np.abs(np.asarray(ours) - np.asarray(ref))))
    assert error <= rel * float(np.max(np.abs(ref))), (what, error, float(np.max(np.abs(ref))))


def _assert_same_mixture(ours, ref, X):
    """The same EM run as scikit-learn's, to rounding.

    Measured on blobs and iris, at scale 1 and 1e150, all covariance types: score_samples
    within 1.5e-13 of its largest value, means 1.3e-14, covariances and precisions 2e-13,
    weights 2e-14, probabilities 8e-13, the lower bound 2e-13.  The bounds below leave
    a margin of about ten for other BLAS builds.
    """
    assert ours.n_iter_ == ref.n_iter_
    _assert_near(ours.score_samples(X), ref.score_samples(X), 1e-12, "score_samples")
    assert ours.lower_bound_ == pytest.approx(ref.lower_bound_, rel=1e-13, abs=2e-12)
    np.testing.assert_allclose(ours.weights_, ref.weights_, rtol=0, atol=2e-13)
    _assert_near(ours.means_, ref.means_, 2e-13, "means_")
    _assert_near(ours.covariances_, ref.covariances_, 2e-12, "covariances_")
    _assert_near(ours.precisions_, ref.precisions_, 2e-12, "precisions_")
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=0, atol=1e-11)


def test_default_fit_close_to_sklearn(data):
    X = data["iris"]
    ours = GaussianMixture(3, random_state=0, n_init=3).fit(X)
    ref = SkGaussianMixture(3, random_state=0, n_init=3).fit(X)
    assert ours.score(X) >= ref.score(X) - 1e-3


# --- invariants -------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("init_params", ["kmeans", "random"])
def test_log_likelihood_never_decreases(data, kind, init_params):
    X = data["iris"]
    gm = GaussianMixture(4, covariance_type=kind, init_params=init_params, tol=1e-8, max_iter=300,
                         random_state=1).fit(X)
    ll = gm.history_.column("log_likelihood")
    assert ll.size == gm.n_iter_ >= 3
    # EM is monotone (the slack is rounding noise, far below the last steps' gains of ~1e-9)
    assert np.all(np.diff(ll) >= -1e-12), np.diff(ll).min()
    assert gm.lower_bound_ == ll[-1]
    assert gm.history_.column("change")[0] == np.inf
    assert gm.converged_
    assert isinstance(gm.history_, History)


def test_predictions_are_consistent(data):
    X = data["blobs"]
    gm = GaussianMixture(4, random_state=0).fit(X)
    proba = gm.predict_proba(X)
    assert proba.shape == (X.shape[0], 4)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(gm.predict(X), proba.argmax(axis=1))
    np.testing.assert_array_equal(GaussianMixture(4, random_state=0).fit_predict(X), gm.predict(X))
    assert gm.score(X) == pytest.approx(gm.score_samples(X).mean())
    assert gm.weights_.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(gm.precisions_ @ gm.covariances_, np.broadcast_to(np.eye(2), (4, 2, 2)),
                               atol=1e-9)
    n, p = X.shape[0], 4 * 3 + 4 * 2 + 3
    assert gm.bic(X) == pytest.approx(-2 * gm.score(X) * n + p * np.log(n))
    assert gm.aic(X) == pytest.approx(-2 * gm.score(X) * n + 2 * p)


@pytest.mark.parametrize("kind", KINDS)
def test_sample_follows_the_mixture(kind):
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal([-5, 0], [1.0, 0.5], (300, 2)), rng.normal([5, 2], [0.5, 1.0], (600, 2))]
    gm = GaussianMixture(2, covariance_type=kind, random_state=0).fit(X)
    Xs, ys = gm.sample(20000)
    assert Xs.shape == (20000, 2) and ys.shape == (20000,)
    np.testing.assert_allclose(np.bincount(ys) / 20000, gm.weights_, atol=0.015)
    for j in range(2):
        np.testing.assert_allclose(Xs[ys == j].mean(axis=0), gm.means_[j], atol=0.06)
    full = _as_full(gm.covariances_, kind, 2, 2)
    for j in range(2):
        np.testing.assert_allclose(np.cov(Xs[ys == j].T), full[j], atol=0.1)


def test_recovers_separated_components():
    rng = np.random.default_rng(1)
    X = np.r_[rng.normal(-3, 1, (400, 1)), rng.normal(4, 0.5, (200, 1))]
    gm = GaussianMixture(2, random_state=0).fit(X)
    order = np.argsort(gm.means_.ravel())
    np.testing.assert_allclose(gm.means_.ravel()[order], [-3, 4], atol=0.15)
    np.testing.assert_allclose(gm.weights_[order], [2 / 3, 1 / 3], atol=0.03)
    np.testing.assert_allclose(gm.covariances_.ravel()[order], [1.0, 0.25], rtol=0.2)


def test_not_converged_warns(data):
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        gm = GaussianMixture(3, init_params="random", max_iter=2, random_state=0).fit(data["iris"])
    assert not gm.converged_ and gm.n_iter_ == 2


def test_n_init_keeps_the_best(data):
    X = data["iris"]
    # the first of the n_init starts draws from the same stream as a single start
    one = GaussianMixture(4, init_params="random", random_state=3).fit(X)
    many = GaussianMixture(4, init_params="random", n_init=4, random_state=3).fit(X)
    assert many.lower_bound_ >= one.lower_bound_
    assert many.history_[-1]["log_likelihood"] == many.lower_bound_


def test_ill_defined_covariance_raises():
    X = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match="reg_covar"):
        GaussianMixture(2, reg_covar=0.0, random_state=0).fit(X)


# --- errors ----------------------------------------------------------------------


@pytest.mark.parametrize("params, error, match", [
    ({"n_components": 0}, ValueError, "n_components must be an int >= 1; got 0"),
    ({"covariance_type": "unknown"}, ValueError, "covariance_type must be one of"),
    ({"init_params": "kmeans++"}, ValueError, "init_params must be one of"),
    ({"tol": -1.0}, ValueError, "tol must be a finite real number >= 0; got -1.0"),
    ({"tol": np.nan}, ValueError, "tol must be a finite real number >= 0; got nan"),
    ({"reg_covar": -1e-3}, ValueError, "reg_covar must be a finite real number >= 0"),
    ({"reg_covar": np.nan}, ValueError, "reg_covar must be a finite real number >= 0; got nan"),
    ({"max_iter": 0}, ValueError, "max_iter must be an int >= 1; got 0"),
    ({"n_init": 1.5}, TypeError, "n_init must be an int"),
    ({"n_components": 30}, ValueError, "n_samples=20 should be >= n_components=30"),
    ({"weights_init": [0.2, 0.2]}, ValueError, "weights_init must sum to 1"),
    ({"weights_init": [1.5, -0.5]}, ValueError, r"weights_init must lie in \[0, 1\]"),
    ({"weights_init": [0.2, 0.3, 0.5]}, ValueError, r"weights_init must have shape \(n_components,\)"),
    ({"means_init": np.zeros((2, 3))}, ValueError, r"means_init must have shape .*\(2, 2\); got \(2, 3\)"),
    ({"precisions_init": np.zeros((2, 2))}, ValueError, r"must have shape \(2, 2, 2\)"),
    ({"precisions_init": -np.ones((2, 2, 2))}, ValueError, "symmetric positive-definite"),
    ({"covariance_type": "diag", "precisions_init": -np.ones((2, 2))}, ValueError, "must be positive"),
])
def test_bad_parameters(params, error, match):
    X = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(error, match=match):
        GaussianMixture(**{"n_components": 2, **params}).fit(X)


def test_sample_needs_positive_count(data):
    gm = GaussianMixture(2, random_state=0).fit(data["blobs"])
    with pytest.raises(ValueError, match="n_samples must be an int >= 1; got 0"):
        gm.sample(0)


# --- persistence and the estimator contract --------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_save_load_round_trip(tmp_path, data, kind):
    X = data["iris"]
    gm = GaussianMixture(3, covariance_type=kind, random_state=0).fit(X)
    path = tmp_path / f"gmm-{kind}.npz"
    save_model(gm, path)
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.score_samples(X), gm.score_samples(X))
    np.testing.assert_array_equal(loaded.predict(X), gm.predict(X))
    assert loaded.history_.column("log_likelihood").tolist() == gm.history_.column("log_likelihood").tolist()
    assert loaded.converged_ is True and loaded.n_iter_ == gm.n_iter_
    np.testing.assert_array_equal(loaded.sample(5)[0], gm.sample(5)[0])


def test_save_load_keeps_init_arrays(tmp_path, data):
    X = data["iris"]
    gm = GaussianMixture(2, means_init=X[[0, 100]], random_state=0).fit(X)
    save_model(gm, tmp_path / "g.npz")
    loaded = load_model(tmp_path / "g.npz")
    np.testing.assert_array_equal(loaded.means_init, X[[0, 100]])
    np.testing.assert_array_equal(loaded.predict_proba(X), gm.predict_proba(X))


@parametrize_with_checks([GaussianMixture(), GaussianMixture(n_components=2, covariance_type="diag")])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# --- large and small finite inputs --------------------------------------------------


@pytest.mark.parametrize("kind", ["full", "tied", "diag", "spherical"])
def test_large_data_give_the_same_mixture(data, kind):
    # EM on X / 2^k is the same model: means scale by s, covariances by s^2, the log
    # densities shift by d log s.  reg_covar stays in the units of X, so the fit on X * s
    # differs from the fit on X only by the ridge's relative size (1e-6 there, ~0 here).
    X = data["iris"]
    s = 1e150
    base = GaussianMixture(3, covariance_type=kind, random_state=0, reg_covar=0.0).fit(X)
    scaled = GaussianMixture(3, covariance_type=kind, random_state=0, reg_covar=0.0).fit(X * s)
    proba = scaled.predict_proba(X * s)
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba, base.predict_proba(X), atol=1e-8)
    np.testing.assert_allclose(scaled.means_ / s, base.means_, rtol=1e-9)
    np.testing.assert_allclose(scaled.covariances_ / s**2, base.covariances_, rtol=1e-8)
    d = X.shape[1]
    np.testing.assert_allclose(scaled.score_samples(X * s) + d * np.log(s), base.score_samples(X), rtol=1e-9)
    assert scaled.lower_bound_ + d * np.log(s) == pytest.approx(base.lower_bound_, rel=1e-9)


@pytest.mark.parametrize("kind", KINDS)
def test_large_data_match_scikit_learn_at_1e150(data, kind):
    # the parity test above, on X * 1e150 (where scikit-learn's squares still fit float64)
    s = 1e150
    X = data["iris"] * s
    start = SkGaussianMixture(3, covariance_type=kind, max_iter=2, random_state=0)
    with pytest.warns(ConvergenceWarning):
        start.fit(X)
    init = dict(weights_init=start.weights_, means_init=start.means_, precisions_init=start.precisions_)
    ours = GaussianMixture(3, covariance_type=kind, **init).fit(X)
    ref = SkGaussianMixture(3, covariance_type=kind, **init).fit(X)
    _assert_same_mixture(ours, ref, X)


@pytest.mark.parametrize("scale", [1e155, 1e300])
@pytest.mark.parametrize("kind", ["full", "tied", "diag", "spherical"])
def test_covariances_beyond_float64_are_a_clear_error(data, kind, scale):
    # (scikit-learn returns NaN probabilities here)
    with pytest.raises(ValueError, match="X is too large: .* covariances beyond the float64 range"):
        GaussianMixture(3, covariance_type=kind, random_state=0).fit(data["iris"] * scale)


@pytest.mark.parametrize("kind", ["full", "tied", "diag", "spherical"])
def test_far_queries_are_a_clear_error_not_nan(data, kind):
    model = GaussianMixture(3, covariance_type=kind, random_state=0).fit(data["iris"])
    assert np.all(np.isfinite(model.predict_proba(data["iris"] * 1e100)))
    for method in (model.predict_proba, model.predict, model.score_samples):
        with pytest.raises(ValueError, match="log densities are beyond the float64 range"):
            method(data["iris"] * 1e300)


def test_tiny_data_are_dominated_by_reg_covar(data):
    # 1e-300 * X has variances near 1e-600, far below reg_covar: one blob of covariance
    # reg_covar I, with finite probabilities (as in the units of X)
    model = GaussianMixture(2, random_state=0).fit(data["iris"] * 1e-300)
    proba = model.predict_proba(data["iris"] * 1e-300)
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(model.covariances_[0], 1e-6 * np.eye(4), rtol=1e-9)
