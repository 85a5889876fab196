"""The RBM and its partition function: AIS against exact log Z, scikit-learn parity, learning, the contract."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from mlatlas.generative.boltzmann import RBM, ais
from mlatlas.generative.boltzmann.rbm import cd_gradient, pseudo_log_likelihood
from mlatlas.metrics import binarized_digits_split


@pytest.fixture(scope="module")
def digits():
    X_train, X_test, _, _ = binarized_digits_split(0)
    return X_train.astype(np.float64), X_test.astype(np.float64)


def _random_rbm(rng, n_hidden=5, n_visible=7, scale=0.5):
    return scale * rng.normal(size=(n_hidden, n_visible)), rng.normal(size=n_visible), rng.normal(size=n_hidden)


# ---------------------------------------------------------------------------- exact log Z


def test_exact_log_partition_matches_brute_force_over_every_joint_state(rng):
    W, b, c = _random_rbm(rng, 4, 5)
    from scipy.special import logsumexp

    V = ((np.arange(32)[:, None] >> np.arange(5)) & 1).astype(float)
    H = ((np.arange(16)[:, None] >> np.arange(4)) & 1).astype(float)
    # -E(v, h) = b.v + c.h + h^T W v over all 2^9 pairs
    neg_energy = (V @ b)[:, None] + (H @ c)[None, :] + V @ W.T @ H.T
    expected = logsumexp(neg_energy)
    assert ais.exact_log_partition(W, b, c) == pytest.approx(expected, abs=1e-10)
    # the larger layer enumerated instead (visible smaller than hidden)
    assert ais.exact_log_partition(W.T.copy(), c, b) == pytest.approx(expected, abs=1e-10)


def test_exact_log_partition_refuses_two_large_layers():
    with pytest.raises(ValueError, match="at most 20 units"):
        ais.exact_log_partition(np.zeros((21, 22)), np.zeros(22), np.zeros(21))


def test_fast_ais_equals_the_step_by_step_version(rng):
    W, b, c = _random_rbm(rng, 6, 8)
    base = rng.normal(size=8)
    fast = ais.ais_log_partition(W, b, c, base, n_runs=20, n_betas=200, random_state=3)
    plain = ais.ais_log_partition_plain(W, b, c, base, n_runs=20, n_betas=200, random_state=3)
    assert fast[0] == pytest.approx(plain[0], abs=1e-9) and fast[1] == pytest.approx(plain[1], rel=1e-6)


def test_betas_are_dense_near_one():
    betas = ais.ais_betas(15000)
    assert betas[0] == 0.0 and betas[-1] == 1.0 and np.all(np.diff(betas) > 0)
    assert np.sum(betas >= 0.9) > 0.6 * len(betas)


@pytest.mark.parametrize("n_hidden", [12, 16])
def test_ais_is_within_a_tenth_of_a_nat_of_exact_on_digit_rbms(digits, n_hidden):
    X_train, _ = digits
    rbm = RBM(n_components=n_hidden, n_iter=30, random_state=0).fit(X_train)
    exact, zero = rbm.log_partition("exact")
    estimate, error = rbm.log_partition("ais", n_runs=100, n_betas=3000, random_state=1)
    assert zero == 0.0
    assert abs(estimate - exact) <= 0.1, (estimate, exact, error)
    assert 0 < error < 0.1
    # log p(v) sums to one over every 2^64 image only implicitly; on the data it is below 0
    ll = rbm.log_likelihood(X_train[:50], method="exact")
    assert np.all(ll < 0) and ll.shape == (50,)


# ---------------------------------------------------------------------------- scikit-learn parity


def test_pseudo_likelihood_equals_scikit_learns_with_the_same_weights_and_bits(rng, digits):
    from sklearn.neural_network import BernoulliRBM

    X = digits[0][:100]
    W, b, c = _random_rbm(rng, 10, 64, scale=0.3)
    theirs = BernoulliRBM(n_components=10, random_state=7).fit(X[:5])  # fitted, then given our weights
    theirs.components_, theirs.intercept_visible_, theirs.intercept_hidden_ = W, b, c
    flip = np.random.RandomState(7).randint(0, 64, 100)  # the bits scikit-learn flips with random_state=7
    ours = pseudo_log_likelihood(X, W, b, c, flip)
    np.testing.assert_allclose(ours, theirs.score_samples(X), rtol=1e-12, atol=1e-12)
    # and the estimator's own method draws the same bits from the same random_state
    rbm = RBM(n_components=10, n_iter=1, random_state=7).fit(X[:5])
    rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_ = W, b, c
    np.testing.assert_allclose(rbm.score_samples(X), theirs.score_samples(X), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(rbm.transform(X), theirs.transform(X), rtol=1e-12)
    np.testing.assert_allclose(rbm.free_energy(X), theirs._free_energy(X), rtol=1e-12)


def test_names_and_shapes_follow_bernoulli_rbm(digits):
    rbm = RBM(n_components=8, n_iter=2, batch_size=10, random_state=0).fit(digits[0])
    assert rbm.components_.shape == (8, 64)
    assert rbm.intercept_hidden_.shape == (8,) and rbm.intercept_visible_.shape == (64,)
    assert rbm.h_samples_.shape == (10, 8)
    assert rbm.gibbs(digits[0][:4], random_state=0).shape == (4, 64)
    assert set(np.unique(rbm.gibbs(digits[0][:4], random_state=0))) <= {0.0, 1.0}
    samples = rbm.sample(5, random_state=0, n_steps=20)
    assert samples.shape == (5, 64) and samples.min() >= 0 and samples.max() <= 1
    np.testing.assert_array_equal(samples, rbm.sample(5, random_state=0, n_steps=20))
    assert rbm.binary_pixels() is True
    assert [row["epoch"] for row in rbm.history_] == [1, 2]


# ---------------------------------------------------------------------------- learning


def test_cd_gradient_is_the_exact_gradient_when_the_negative_phase_is_the_model(rng):
    """With every visible vector weighted by p(v), the CD estimate is the exact gradient of log p."""
    W, b, c = _random_rbm(rng, 3, 4)
    V = ((np.arange(16)[:, None] >> np.arange(4)) & 1).astype(float)
    data = V[[1, 5, 5, 9, 14]]
    log_Z = ais.exact_log_partition(W, b, c)

    def mean_ll(W_, b_, c_):
        return float(np.mean(-ais.free_energy(data, W_, b_, c_) - ais.exact_log_partition(W_, b_, c_)))

    p = np.exp(-ais.free_energy(V, W, b, c) - log_Z)
    # the negative phase as an exact average: each state repeated in proportion to p(v)
    counts = np.round(p * 1e6).astype(int)
    V_neg = np.repeat(V, counts, axis=0)
    dW, db, dc = cd_gradient(data, W, b, c, V_neg)
    eps = 1e-5
    for (i, j) in [(0, 0), (2, 3), (1, 2)]:
        E = np.zeros_like(W)
        E[i, j] = eps
        numeric = (mean_ll(W + E, b, c) - mean_ll(W - E, b, c)) / (2 * eps)
        assert dW[i, j] == pytest.approx(numeric, abs=1e-4)
    e = np.zeros_like(b)
    e[2] = eps
    assert db[2] == pytest.approx((mean_ll(W, b + e, c) - mean_ll(W, b - e, c)) / (2 * eps), abs=1e-4)
    f = np.zeros_like(c)
    f[1] = eps
    assert dc[1] == pytest.approx((mean_ll(W, b, c + f) - mean_ll(W, b, c - f)) / (2 * eps), abs=1e-4)


@pytest.mark.parametrize("persistent", [False, True])
def test_training_raises_the_exact_likelihood_of_a_small_rbm(digits, persistent):
    X_train, X_test = digits
    rbm = RBM(n_components=10, n_iter=20, persistent=persistent, k=1 if persistent else 2,
              random_state=0).fit(X_train)
    ll = rbm.history_.column("log_likelihood")
    assert np.all(np.isfinite(ll)) and ll[-1] > ll[0] + 2.0
    # and it beats the independent-pixel model on held-out digits
    m = (X_train.sum(axis=0) + 1) / (X_train.shape[0] + 2)
    independent = np.mean(X_test @ np.log(m) + (1 - X_test) @ np.log1p(-m))
    assert rbm.log_likelihood(X_test, method="exact").mean() > independent + 1.0


def test_filter_snapshots_follow_training_without_changing_it(digits):
    X = digits[0][:200]
    plain = RBM(n_components=20, n_iter=7, random_state=0).fit(X)
    kept = RBM(n_components=20, n_iter=7, random_state=0, snapshot_every=3).fit(X)
    # the initial weights, every 3rd epoch and the last; the first 16 filters as float32
    assert kept.snapshot_epochs_.tolist() == [0, 3, 6, 7]
    assert kept.filter_snapshots_.shape == (4, 16, 64) and kept.filter_snapshots_.dtype == np.float32
    np.testing.assert_allclose(kept.filter_snapshots_[-1], kept.components_[:16], rtol=1e-6, atol=1e-7)
    assert not np.allclose(kept.filter_snapshots_[0], kept.filter_snapshots_[-1])
    # keeping them draws no random numbers: the same model as without
    np.testing.assert_array_equal(plain.components_, kept.components_)
    assert not hasattr(plain, "filter_snapshots_") and "snapshots.filters" not in plain.record_arrays()
    arrays = kept.record_arrays()
    assert arrays["snapshots.filters"].shape == (4, 16, 64) and arrays["snapshots.epochs"].tolist() == [0, 3, 6, 7]
    # a refit without snapshots forgets the old ones
    kept.set_params(snapshot_every=None).fit(X)
    assert not hasattr(kept, "filter_snapshots_")
    with pytest.raises(ValueError):
        RBM(snapshot_every=0).fit(X)


def test_partial_fit_takes_one_step_on_its_batch(digits):
    X = digits[0][:40]
    a = RBM(n_components=6, batch_size=40, random_state=0).partial_fit(X)
    before = a.components_.copy()
    a.partial_fit(X)
    assert not np.allclose(before, a.components_)
    assert a.components_.shape == (6, 64)


def test_likelihoods_need_binary_data_and_parameters_are_checked(digits):
    rbm = RBM(n_components=4, n_iter=1, random_state=0).fit(digits[0])
    with pytest.raises(ValueError, match="binary"):
        rbm.log_likelihood(np.full((2, 64), 0.5), method="exact")
    with pytest.raises(ValueError, match="learning_rate must be a finite real number > 0"):
        RBM(learning_rate=0).fit(digits[0])
    with pytest.raises(ValueError, match="learning_rate_schedule must be one of"):
        RBM(learning_rate_schedule="cosine").fit(digits[0])
    with pytest.raises(ValueError, match="method must be one of"):
        rbm.log_partition("guess")


@parametrize_with_checks([RBM(n_components=3, n_iter=3, random_state=0)], expected_failed_checks=lambda est: {
    # scikit-learn's pseudo-likelihood flips one random bit per row, drawn in row order from
    # random_state: reordered rows or a subset get other bits (BernoulliRBM fails these too)
    "check_methods_sample_order_invariance": "score_samples flips random bits, drawn in row order",
    "check_methods_subset_invariance": "score_samples flips random bits, drawn in row order",
})
def test_rbm_follows_the_estimator_contract(estimator, check):
    check(estimator)
