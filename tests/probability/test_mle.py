"""MLE: closed forms, scipy.stats fits, observed-information standard errors, numeric MLE."""

import numpy as np
import pytest
from scipy import stats

from mlatlas.probability import MLEResult, mle, mle_numeric
from mlatlas.probability.mle import DISTRIBUTIONS, log_likelihood, numerical_hessian

TOL = 1e-6


@pytest.fixture(scope="module")
def samples():
    rng = np.random.default_rng(2024)
    return {
        "normal": rng.normal(2.0, 1.5, size=400),
        "bernoulli": (rng.random(300) < 0.3).astype(float),
        "categorical": rng.choice(4, size=500, p=[0.4, 0.3, 0.2, 0.1]),
        "poisson": rng.poisson(3.5, size=400).astype(float),
        "exponential": rng.exponential(2.0, size=400),
        "gamma": rng.gamma(2.5, 1.2, size=400),
        "beta": rng.beta(2.0, 5.0, size=400),
    }


def scipy_loglik(distribution, estimates, x):
    e = estimates
    return float(np.sum({
        "normal": lambda: stats.norm.logpdf(x, e["mu"], e["sigma"]),
        "bernoulli": lambda: stats.bernoulli.logpmf(x, e["p"]),
        "poisson": lambda: stats.poisson.logpmf(x, e["lam"]),
        "exponential": lambda: stats.expon.logpdf(x, scale=1 / e["rate"]),
        "gamma": lambda: stats.gamma.logpdf(x, e["shape"], scale=e["scale"]),
        "beta": lambda: stats.beta.logpdf(x, e["a"], e["b"]),
    }[distribution]()))


def test_normal_closed_form_and_scipy(samples):
    x = samples["normal"]
    fit = mle("normal", x)
    loc, scale = stats.norm.fit(x)
    assert fit.estimates["mu"] == pytest.approx(x.mean(), rel=TOL)
    assert fit.estimates["sigma"] == pytest.approx(x.std(ddof=0), rel=TOL)
    assert fit.estimates["mu"] == pytest.approx(loc, rel=TOL)
    assert fit.estimates["sigma"] == pytest.approx(scale, rel=TOL)
    n, s = x.shape[0], x.std()
    assert fit.standard_errors["mu"] == pytest.approx(s / np.sqrt(n), rel=1e-12)
    assert fit.standard_errors["sigma"] == pytest.approx(s / np.sqrt(2 * n), rel=1e-12)
    np.testing.assert_allclose(fit.observed_information, np.diag([n / s**2, 2 * n / s**2]),
                               rtol=1e-10, atol=1e-8)


def test_bernoulli_poisson_exponential_closed_forms(samples):
    xb, xp, xe = samples["bernoulli"], samples["poisson"], samples["exponential"]
    fb, fp, fe = mle("bernoulli", xb), mle("poisson", xp), mle("exponential", xe)
    p, n = xb.mean(), xb.shape[0]
    assert fb.estimates["p"] == pytest.approx(p, rel=TOL)
    assert fb.standard_errors["p"] == pytest.approx(np.sqrt(p * (1 - p) / n), rel=1e-12)
    assert fp.estimates["lam"] == pytest.approx(xp.mean(), rel=TOL)
    assert fp.standard_errors["lam"] == pytest.approx(np.sqrt(xp.mean() / xp.shape[0]), rel=1e-12)
    loc, scale = stats.expon.fit(xe, floc=0)
    assert 1 / fe.estimates["rate"] == pytest.approx(scale, rel=TOL)
    assert fe.standard_errors["rate"] == pytest.approx(fe.estimates["rate"] / np.sqrt(xe.shape[0]), rel=1e-12)


def test_categorical_closed_form_and_labels(samples):
    x = samples["categorical"]
    fit = mle("categorical", x)
    counts = np.bincount(x, minlength=4)
    p = counts / x.shape[0]
    np.testing.assert_allclose(fit.estimates["p"], p, rtol=1e-15)
    np.testing.assert_allclose(fit.standard_errors["p"], np.sqrt(p * (1 - p) / x.shape[0]), rtol=1e-12)
    assert fit.loglik == pytest.approx(np.sum(counts * np.log(p)), rel=1e-12)
    assert fit.loglik == pytest.approx(np.sum(stats.rv_discrete(values=(range(4), p)).logpmf(x)), rel=1e-10)
    # the free-parameter information inverts to the constrained covariance (first K-1 block)
    np.testing.assert_allclose(np.linalg.inv(fit.observed_information), fit.covariance[:-1, :-1], rtol=1e-10)
    assert fit.n_params == 3
    labelled = mle("categorical", np.array(["b", "a", "b", "c"]))
    assert labelled.extra["categories"].tolist() == ["a", "b", "c"]
    np.testing.assert_allclose(labelled.estimates["p"], [0.25, 0.5, 0.25])


def test_gamma_matches_scipy_fit(samples):
    x = samples["gamma"]
    fit = mle("gamma", x)
    a, loc, scale = stats.gamma.fit(x, floc=0)
    assert fit.estimates["shape"] == pytest.approx(a, rel=TOL)
    assert fit.estimates["scale"] == pytest.approx(scale, rel=TOL)
    # the score equations hold to machine precision
    s = np.log(x.mean()) - np.mean(np.log(x))
    from scipy.special import digamma
    assert np.log(fit.estimates["shape"]) - digamma(fit.estimates["shape"]) == pytest.approx(s, rel=1e-12)
    assert fit.loglik >= scipy_loglik("gamma", {"shape": a, "scale": scale}, x) - 1e-9


def test_beta_matches_scipy_fit(samples):
    x = samples["beta"]
    fit = mle("beta", x)
    a, b, loc, scale = stats.beta.fit(x, floc=0, fscale=1)
    assert fit.estimates["a"] == pytest.approx(a, rel=TOL)
    assert fit.estimates["b"] == pytest.approx(b, rel=TOL)
    assert fit.converged
    assert fit.loglik >= scipy_loglik("beta", {"a": a, "b": b}, x) - 1e-9


@pytest.mark.parametrize("distribution", [d for d in DISTRIBUTIONS if d != "categorical"])
def test_loglik_matches_scipy_and_is_the_maximum(distribution, samples):
    x = samples[distribution]
    fit = mle(distribution, x)
    assert fit.loglik == pytest.approx(scipy_loglik(distribution, fit.estimates, x), rel=1e-10)
    # moving any parameter by 1% lowers the log-likelihood
    for name in fit.param_names:
        for factor in (0.99, 1.01):
            moved = dict(fit.estimates, **{name: fit.estimates[name] * factor})
            if distribution == "bernoulli" and not 0 < moved["p"] < 1:
                continue
            assert log_likelihood(distribution, x, **moved) < fit.loglik


LOGPDFS = {
    "normal": (lambda x, mu, s: stats.norm.logpdf(x, mu, s), {"mu": 0.0, "sigma": 1.0}),
    "bernoulli": (lambda x, p: stats.bernoulli.logpmf(x, p), {"p": 0.5}),
    "poisson": (lambda x, lam: stats.poisson.logpmf(x, lam), {"lam": 1.0}),
    "exponential": (lambda x, rate: stats.expon.logpdf(x, scale=1 / rate), {"rate": 1.0}),
    "gamma": (lambda x, a, s: stats.gamma.logpdf(x, a, scale=s), {"shape": 1.0, "scale": 1.0}),
    "beta": (lambda x, a, b: stats.beta.logpdf(x, a, b), {"a": 1.0, "b": 1.0}),
}
BOUNDS = {"bernoulli": [(1e-9, 1 - 1e-9)], "poisson": [(1e-9, None)], "exponential": [(1e-9, None)],
          "gamma": [(1e-9, None)] * 2, "beta": [(1e-9, None)] * 2, "normal": [(None, None), (1e-9, None)]}


@pytest.mark.parametrize("distribution", sorted(LOGPDFS))
def test_numeric_mle_agrees_with_closed_forms(distribution, samples):
    x = samples[distribution]
    logpdf, init = LOGPDFS[distribution]
    numeric = mle_numeric(logpdf, x, init, bounds=BOUNDS[distribution])
    exact = mle(distribution, x)
    assert numeric.converged
    for name in exact.param_names:
        assert numeric.estimates[name] == pytest.approx(exact.estimates[name], rel=TOL)
        # the analytic observed information against a finite-difference Hessian
        assert numeric.standard_errors[name] == pytest.approx(exact.standard_errors[name], rel=1e-4)
    assert numeric.loglik == pytest.approx(exact.loglik, rel=1e-10)


def test_numeric_mle_unbounded_bfgs_and_positional_init(samples):
    x = samples["normal"]
    fit = mle_numeric(stats.norm.logpdf, x, [0.0, 1.0])
    assert fit.param_names == ("theta0", "theta1")
    np.testing.assert_allclose([fit.estimates["theta0"], fit.estimates["theta1"]],
                               [x.mean(), x.std()], rtol=TOL)
    assert fit.converged


def test_numerical_hessian_of_a_quadratic_is_exact():
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    H = numerical_hessian(lambda t: 0.5 * t @ A @ t + t.sum(), np.array([0.3, -0.7]))
    np.testing.assert_allclose(H, A, rtol=1e-6)


def test_hand_computed_examples():
    fit = mle("normal", [1.0, 2.0, 3.0, 4.0])
    assert fit.estimates == {"mu": 2.5, "sigma": pytest.approx(np.sqrt(1.25))}
    # Bernoulli 3 heads in 4: p = 3/4, se = sqrt(3/16 / 4)
    fit = mle("bernoulli", [1, 1, 0, 1])
    assert fit.estimates["p"] == 0.75
    assert fit.standard_errors["p"] == pytest.approx(np.sqrt(0.75 * 0.25 / 4))
    assert fit.loglik == pytest.approx(3 * np.log(0.75) + np.log(0.25))
    # Poisson counts 1, 2, 3: lam = 2
    assert mle("poisson", [1, 2, 3]).estimates["lam"] == 2.0
    # exponential 1, 2, 3: rate = 1/2
    assert mle("exponential", [1.0, 2.0, 3.0]).estimates["rate"] == 0.5


def test_boundary_estimates_have_zero_standard_error():
    fit = mle("bernoulli", np.ones(10))
    assert fit.estimates["p"] == 1.0 and fit.standard_errors["p"] == 0.0
    assert fit.loglik == 0.0
    fit = mle("poisson", np.zeros(5))
    assert fit.estimates["lam"] == 0.0 and fit.standard_errors["lam"] == 0.0


def test_result_object():
    fit = mle("gamma", np.array([0.5, 1.0, 2.0, 4.0]))
    assert isinstance(fit, MLEResult)
    assert fit["shape"] == fit.estimates["shape"]
    assert fit.n == 4 and fit.n_params == 2
    assert fit.aic == pytest.approx(-2 * fit.loglik + 4)
    assert fit.bic == pytest.approx(-2 * fit.loglik + 2 * np.log(4))
    assert "shape" in fit.summary() and "log-likelihood" in str(fit)
    np.testing.assert_allclose(fit.covariance @ fit.observed_information, np.eye(2), atol=1e-10)


@pytest.mark.parametrize("distribution, x, words", [
    ("weibull", [1.0, 2.0], "distribution"),
    ("bernoulli", [0, 1, 2], "0 and 1"),
    ("poisson", [1.0, 2.5], "non-negative integers"),
    ("poisson", [-1.0, 2.0], "non-negative integers"),
    ("exponential", [-1.0, 2.0], "non-negative"),
    ("gamma", [0.0, 1.0], "strictly positive"),
    ("beta", [0.2, 1.0], "between 0 and 1"),
    ("normal", [], "at least one"),
    ("normal", [1.0, np.nan], "NaN"),
    ("normal", [[1.0, 2.0], [3.0, 4.0]], "1-D"),
    ("normal", [2.0, 2.0, 2.0], "equal"),
    ("gamma", [2.0, 2.0], "equal"),
    ("beta", [0.5, 0.5], "equal"),
])
def test_bad_input(distribution, x, words):
    with pytest.raises(ValueError, match=words):
        mle(distribution, x)


def test_bad_input_types_and_numeric_errors():
    with pytest.raises(TypeError, match="x must be"):
        mle("normal", ["a", "b"])
    with pytest.raises(TypeError, match="logpdf"):
        mle_numeric("norm", [1.0, 2.0], [0.0])
    with pytest.raises(ValueError, match="not finite"):
        mle_numeric(lambda x, s: stats.norm.logpdf(x, 0, s), [1.0, 2.0], [-1.0])
    with pytest.raises(ValueError, match="init"):
        mle_numeric(stats.norm.logpdf, [1.0, 2.0], [])
    with pytest.raises(ValueError, match="parameters"):
        log_likelihood("normal", [1.0], mu=0.0)


def test_log_likelihood_broadcasts_over_a_grid(samples):
    x = samples["normal"]
    mu, sigma = np.meshgrid(np.linspace(1, 3, 5), np.linspace(1, 2, 4))
    surface = log_likelihood("normal", x, mu=mu, sigma=sigma)
    assert surface.shape == (4, 5)
    assert surface[2, 3] == pytest.approx(np.sum(stats.norm.logpdf(x, mu[2, 3], sigma[2, 3])), rel=1e-12)
    p = np.array([[0.25, 0.25, 0.25, 0.25], [0.4, 0.3, 0.2, 0.1]])
    ll = log_likelihood("categorical", samples["categorical"], p=p)
    assert ll.shape == (2,) and ll[1] > ll[0]


@pytest.mark.parametrize("distribution, powers", [
    ("normal", {"mu": 1, "sigma": 1}),
    ("exponential", {"rate": -1}),
    ("gamma", {"shape": 0, "scale": 1}),
])
@pytest.mark.parametrize("c", [2.0**200, 1e300 / 3, 2.0**-300, 1e-301])
def test_scale_families_stay_exact_at_extreme_magnitudes(distribution, powers, c):
    """theta(c x) = c**power theta(x); the information matrix no longer overflows on the way."""
    x = np.abs(np.random.default_rng(3).normal(size=40)) + 0.5
    base, scaled = mle(distribution, x), mle(distribution, x * c)
    for name, power in powers.items():
        assert scaled.estimates[name] == pytest.approx(base.estimates[name] * c**power, rel=1e-13)
        assert scaled.standard_errors[name] == pytest.approx(base.standard_errors[name] * c**power, rel=1e-12)
    # p_{cX}(c x) = p_X(x) / c for each observation
    assert scaled.loglik == pytest.approx(base.loglik - x.size * np.log(c), rel=1e-12, abs=1e-9)


def test_poisson_information_at_huge_counts():
    x = np.array([1.25e299, 3.0e299, 7.0e298])
    fit = mle("poisson", x)
    lam = x.mean()
    # se = sqrt(lam / n)
    assert fit.standard_errors["lam"] == pytest.approx(np.sqrt(lam / 3), rel=1e-14)
