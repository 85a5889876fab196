"""Diffusion schedules against their closed forms (NumPy only: these tests need no torch)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlatlas.generative.diffusion.schedules import Schedule, cosine_betas, linear_betas


def test_import_needs_no_torch_at_the_top():
    import mlatlas.generative.diffusion as diffusion

    assert "Schedule" in dir(diffusion) and "DDPM" in dir(diffusion)


def test_linear_schedule_endpoints_and_alpha_bar():
    s = Schedule.make("linear", 1000)
    assert s.T == 1000
    assert s.betas[0] == pytest.approx(1e-4) and s.betas[-1] == pytest.approx(0.02)
    np.testing.assert_allclose(np.diff(s.betas), (0.02 - 1e-4) / 999, rtol=1e-9)
    # alpha_t = 1 - beta_t (not beta_t), alpha_bar_t = prod_{s <= t} alpha_s, by a plain loop
    alpha_bar, product = [], 1.0
    for beta in s.betas:
        product *= 1.0 - beta
        alpha_bar.append(product)
    np.testing.assert_allclose(s.alphas, 1.0 - s.betas, rtol=0, atol=0)
    np.testing.assert_allclose(s.alpha_bar, alpha_bar, rtol=1e-12)
    assert s.alpha_bar_prev[0] == 1.0
    np.testing.assert_allclose(s.alpha_bar_prev[1:], s.alpha_bar[:-1], rtol=0, atol=0)
    # x_T is almost pure noise: alpha_bar_T = 4.04e-5 for this schedule
    assert s.alpha_bar[-1] == pytest.approx(4.04e-5, rel=0.01)


def test_posterior_quantities_follow_the_errata_formulas_at_hand_picked_steps():
    s = Schedule.make("linear", 1000)
    for t in (1, 2, 10, 500, 1000):
        beta = 1e-4 + (t - 1) * (0.02 - 1e-4) / 999
        ab = math.prod(1 - (1e-4 + (k - 1) * (0.02 - 1e-4) / 999) for k in range(1, t + 1))
        ab_prev = ab / (1 - beta)
        i = t - 1
        # mean coefficients: sqrt(ab_{t-1}) beta_t / (1 - ab_t) and sqrt(alpha_t) (1 - ab_{t-1}) / (1 - ab_t)
        assert s.posterior_coef_x0[i] == pytest.approx(math.sqrt(ab_prev) * beta / (1 - ab), rel=1e-9)
        assert s.posterior_coef_xt[i] == pytest.approx(math.sqrt(1 - beta) * (1 - ab_prev) / (1 - ab), rel=1e-9,
                                                       abs=1e-15)
        # variance beta_tilde_t = beta_t (1 - ab_{t-1}) / (1 - ab_t), not squared
        assert s.posterior_variance[i] == pytest.approx(beta * (1 - ab_prev) / (1 - ab), rel=1e-9, abs=1e-15)
    assert s.posterior_variance[0] == 0.0 and s.posterior_coef_xt[0] == 0.0 and s.posterior_coef_x0[0] == pytest.approx(1.0, abs=1e-12)


def test_posterior_is_the_gaussian_product_of_the_forward_step_and_the_marginal():
    """q(x_{t-1} | x_t, x_0) ∝ q(x_t | x_{t-1}) q(x_{t-1} | x_0): precision and mean by completing the square."""
    s = Schedule.make("cosine", 50)
    ab_prev, alpha, beta = s.alpha_bar_prev[1:], s.alphas[1:], s.betas[1:]
    precision = alpha / beta + 1 / (1 - ab_prev)
    # mean = (sqrt(alpha)/beta x_t + sqrt(ab_prev)/(1 - ab_prev) x_0) / precision
    np.testing.assert_allclose(s.posterior_variance[1:], 1 / precision, rtol=1e-10)
    np.testing.assert_allclose(s.posterior_coef_xt[1:], np.sqrt(alpha) / beta / precision, rtol=1e-10)
    np.testing.assert_allclose(s.posterior_coef_x0[1:], np.sqrt(ab_prev) / (1 - ab_prev) / precision, rtol=1e-10)


def test_cosine_schedule_matches_its_alpha_bar_formula():
    T, offset = 100, 0.008
    betas = cosine_betas(T)
    f = lambda t: math.cos((t / T + offset) / (1 + offset) * math.pi / 2) ** 2  # noqa: E731
    alpha_bar = np.cumprod(1 - betas)
    for t in (1, 10, 50, 90):
        assert alpha_bar[t - 1] == pytest.approx(f(t) / f(0), rel=1e-9)
    assert betas.max() <= 0.999 and np.all(np.diff(betas) > 0)


def test_monte_carlo_forward_chain_matches_the_closed_form_marginal(rng):
    """Running x_t = sqrt(alpha_t) x_{t-1} + sqrt(beta_t) eps step by step gives N(sqrt(ab_t) x_0, 1 - ab_t)."""
    s = Schedule.make("linear", 200, beta_start=1e-3, beta_end=0.05)
    x0 = 0.7
    x = np.full(200_000, x0)
    for t in range(60):
        x = math.sqrt(s.alphas[t]) * x + math.sqrt(s.betas[t]) * rng.standard_normal(x.shape)
    ab = s.alpha_bar[59]
    assert x.mean() == pytest.approx(math.sqrt(ab) * x0, abs=4 * math.sqrt((1 - ab) / x.size))
    assert x.var() == pytest.approx(1 - ab, rel=0.02)


def test_timesteps_and_sub_chain():
    s = Schedule.make("linear", 1000)
    full = s.timesteps()
    np.testing.assert_array_equal(full, np.arange(1000, 0, -1))
    fifty = s.timesteps(50)
    assert fifty.size == 50 and fifty[0] == 1000 and fifty[-1] == 1 and np.all(np.diff(fifty) < 0)
    np.testing.assert_array_equal(s.timesteps(1), [1000])
    # on all T steps the sub-chain is the schedule itself
    chain = s.sub_chain(full)
    np.testing.assert_allclose(chain["betas"], s.betas[::-1], rtol=1e-9)
    np.testing.assert_allclose(chain["posterior_variance"], s.posterior_variance[::-1], rtol=1e-9, atol=1e-15)
    # a jump from t to s has alpha_bar_s / alpha_bar_t in place of one alpha
    sub = s.sub_chain(fifty)
    np.testing.assert_allclose(1 - sub["betas"][:-1], s.alpha_bar[fifty[:-1] - 1] / s.alpha_bar[fifty[1:] - 1],
                               rtol=1e-12)
    assert sub["alpha_bar_prev"][-1] == 1.0 and sub["posterior_variance"][-1] == 0.0


@pytest.mark.parametrize("call, pattern", [
    (lambda: Schedule.make("quadratic", 10), "schedule must be one of"),
    (lambda: Schedule.make("linear", 0), "T must be an int"),
    (lambda: Schedule.make("linear", 10, beta_start=0.1, beta_end=0.01), "beta_start <= beta_end"),
    (lambda: Schedule.make("linear", 10).timesteps(11), r"steps must be an int in \[1, 10\]"),
    (lambda: Schedule.make("linear", 10).timesteps(0), r"steps must be an int in \[1, 10\]"),
    (lambda: Schedule(np.array([0.1, 1.0])), "values in \\(0, 1\\)"),
])
def test_bad_schedules_are_value_errors(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


def test_linear_betas_helper():
    np.testing.assert_allclose(linear_betas(3, 0.1, 0.3), [0.1, 0.2, 0.3])
