"""The Boltzmann machine: exact gradient against finite differences, the Gibbs sampler against the exact law."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp

from mlatlas.generative.boltzmann import BoltzmannMachine
from mlatlas.generative.boltzmann.bm import all_states, neg_energy, state_index


def _machine(rng, n_visible, n_hidden, scale=1.0):
    """A fitted machine (one exact epoch) given random symmetric weights and biases."""
    X = (rng.random((12, n_visible)) < 0.5).astype(float)
    bm = BoltzmannMachine(n_hidden=n_hidden, method="exact", n_iter=1, random_state=0).fit(X)
    N = n_visible + n_hidden
    A = scale * rng.normal(size=(N, N))
    bm.weights_ = np.triu(A, 1) + np.triu(A, 1).T
    bm.intercepts_ = scale * rng.normal(size=N)
    return bm, X


def test_states_and_energy_by_hand():
    S = all_states(3)
    assert S.shape == (8, 3) and np.array_equal(state_index(S), np.arange(8))
    W = np.array([[0.0, 2.0, 0.0], [2.0, 0.0, -1.0], [0.0, -1.0, 0.0]])
    b = np.array([0.5, -1.0, 0.25])
    # s = (1, 1, 1): -E = 1/2 (2 W_01 + 2 W_12) + sum b = 2 - 1 - 0.25
    assert neg_energy(np.ones((1, 3)), W, b)[0] == pytest.approx(2.0 - 1.0 - 0.25)


def test_log_likelihood_is_the_marginal_of_the_exact_joint(rng):
    bm, X = _machine(rng, 4, 3)
    S = all_states(7)
    log_p = neg_energy(S, bm.weights_, bm.intercepts_)
    log_p -= logsumexp(log_p)
    # log p(v) = logsumexp over the states whose visible part is v
    expected = [logsumexp(log_p[np.all(S[:, :4] == x, axis=1)]) for x in X]
    np.testing.assert_allclose(bm.log_likelihood(X), expected, atol=1e-10)
    assert bm.exact_distribution().sum() == pytest.approx(1.0)


def test_exact_gradient_matches_finite_differences(rng):
    bm, X = _machine(rng, 4, 3, scale=0.7)
    dW, db = bm.exact_gradient(X)
    assert np.allclose(dW, dW.T) and np.all(np.diag(dW) == 0)
    W0, b0 = bm.weights_.copy(), bm.intercepts_.copy()
    eps = 1e-5

    def mean_ll(W, b):
        bm.weights_, bm.intercepts_ = W, b
        return float(bm.log_likelihood(X).mean())

    N = W0.shape[0]
    for i in range(N):
        for j in range(i + 1, N):
            E = np.zeros_like(W0)
            E[i, j] = E[j, i] = eps  # W_ij and W_ji move together
            numeric = (mean_ll(W0 + E, b0) - mean_ll(W0 - E, b0)) / (2 * eps)
            assert dW[i, j] == pytest.approx(numeric, abs=1e-7), (i, j)
        e = np.zeros(N)
        e[i] = eps
        assert db[i] == pytest.approx((mean_ll(W0, b0 + e) - mean_ll(W0, b0 - e)) / (2 * eps), abs=1e-7)


def test_gibbs_sampler_matches_the_exact_distribution_of_ten_units(rng):
    bm, _ = _machine(rng, 6, 4, scale=1.0)
    exact = bm.exact_distribution()
    states = bm.gibbs_samples(n_chains=2000, n_sweeps=250, burn_in=50, random_state=0).reshape(-1, 10)
    empirical = np.bincount(state_index(states), minlength=2**10) / len(states)
    tv = 0.5 * np.abs(empirical - exact).sum()
    assert tv <= 0.02, tv


def test_exact_learning_raises_the_likelihood_and_gibbs_learning_follows_it(rng):
    X = np.array([[1, 1, 0, 0, 1], [0, 0, 1, 1, 0], [1, 1, 0, 0, 0], [0, 0, 1, 1, 1]] * 6, dtype=float)
    exact = BoltzmannMachine(n_hidden=2, method="exact", n_iter=40, learning_rate=0.2, batch_size=24,
                             random_state=0).fit(X)
    ll = exact.history_.column("log_likelihood")
    assert ll[-1] > ll[0] + 1.0
    gibbs = BoltzmannMachine(n_hidden=2, method="gibbs", n_iter=40, learning_rate=0.2, batch_size=24,
                             n_chains=500, random_state=0).fit(X)
    uniform = -5 * np.log(2)
    assert gibbs.log_likelihood(X).mean() > uniform + 1.0
    assert gibbs.log_likelihood(X).mean() > ll[-1] - 0.5


def test_large_machines_refuse_enumeration_and_still_sample(rng):
    X = (rng.random((30, 21)) < 0.5).astype(float)
    bm = BoltzmannMachine(n_hidden=2, n_iter=1, random_state=0).fit(X)
    with pytest.raises(ValueError, match="at most 20 units"):
        bm.log_likelihood(X)
    with pytest.raises(ValueError, match="at most 20 units"):
        BoltzmannMachine(n_hidden=2, method="exact").fit(X)
    samples = bm.sample(4, random_state=0, n_sweeps=5)
    assert samples.shape == (4, 21) and set(np.unique(samples)) <= {0.0, 1.0}
    assert bm.binary_pixels() is True
    with pytest.raises(ValueError, match="binary"):
        bm.fit(np.full((3, 21), 0.5))
