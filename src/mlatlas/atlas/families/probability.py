"""Registry entry for maximum-likelihood estimation (mlatlas.probability) against scipy.stats."""

from __future__ import annotations

import time

import numpy as np

from ... import plots
from ...base import check_random_state
from ...probability.mle import log_likelihood, mle
from ..registry import Entry, register
from ..runner import ModelRow, RunResult

N_SAMPLES = 500

# The true parameters of the generated samples (scipy.stats parametrisation in comments).
TRUTH = {
    "normal": {"mu": 2.0, "sigma": 1.5},
    "bernoulli": {"p": 0.3},
    "categorical": {"p": np.array([0.5, 0.3, 0.2])},
    "poisson": {"lam": 4.0},
    "exponential": {"rate": 0.5},          # scale 2
    "gamma": {"shape": 2.5, "scale": 1.2},
    "beta": {"a": 2.0, "b": 5.0},
}


def _draw(rng: np.random.Generator) -> dict:
    t = TRUTH
    return {
        "normal": rng.normal(t["normal"]["mu"], t["normal"]["sigma"], N_SAMPLES),
        "bernoulli": (rng.random(N_SAMPLES) < t["bernoulli"]["p"]).astype(float),
        "categorical": rng.choice(3, size=N_SAMPLES, p=t["categorical"]["p"]),
        "poisson": rng.poisson(t["poisson"]["lam"], N_SAMPLES).astype(float),
        "exponential": rng.exponential(1 / t["exponential"]["rate"], N_SAMPLES),
        "gamma": rng.gamma(t["gamma"]["shape"], t["gamma"]["scale"], N_SAMPLES),
        "beta": rng.beta(t["beta"]["a"], t["beta"]["b"], N_SAMPLES),
    }


def _reference_fit(distribution: str, x: np.ndarray) -> dict:
    """scipy.stats fits where scipy has one (continuous families), closed forms otherwise."""
    from scipy import stats

    if distribution == "normal":
        loc, scale = stats.norm.fit(x)
        return {"mu": loc, "sigma": scale}
    if distribution == "exponential":
        _, scale = stats.expon.fit(x, floc=0)
        return {"rate": 1 / scale}
    if distribution == "gamma":
        a, _, scale = stats.gamma.fit(x, floc=0)
        return {"shape": a, "scale": scale}
    if distribution == "beta":
        a, b, _, _ = stats.beta.fit(x, floc=0, fscale=1)
        return {"a": a, "b": b}
    if distribution == "categorical":
        return {"p": np.bincount(x.astype(int)) / x.shape[0]}
    # scipy.stats has no closed-form fit for the discrete families: the textbook formula
    return {"bernoulli": {"p": x.mean()}, "poisson": {"lam": x.mean()}}[distribution]


def _flatten(prefix: str, estimates: dict) -> dict:
    out = {}
    for name, value in estimates.items():
        value = np.atleast_1d(np.asarray(value, dtype=float))
        if value.size == 1:
            out[f"{prefix}.{name}"] = float(value[0])
        else:
            for j, v in enumerate(value):
                out[f"{prefix}.{name}[{j}]"] = float(v)
    return out


def _run_mle(entry: Entry, ctx) -> RunResult:
    """Fit the seven families to seeded samples and a normal and gamma to the dataset's target."""
    rng = check_random_state(ctx.seed)
    samples = _draw(rng)
    target = np.asarray(ctx.dataset.y, dtype=float)
    ours_metrics, ref_metrics, fits, se = {}, {}, {}, {}
    ours_time = ref_time = 0.0
    jobs = [(name, name, x) for name, x in samples.items()]
    jobs += [(f"{ctx.dataset.name}-normal", "normal", target), (f"{ctx.dataset.name}-gamma", "gamma", target)]
    for label, distribution, x in jobs:
        start = time.perf_counter()
        fit = mle(distribution, x)
        ours_time += time.perf_counter() - start
        start = time.perf_counter()
        ref = _reference_fit(distribution, x)
        ref_time += time.perf_counter() - start
        fits[label] = fit
        ours_metrics.update(_flatten(label, fit.estimates))
        ref_metrics.update(_flatten(label, ref))
        se.update(_flatten(label, fit.standard_errors))
        # the reference's log-likelihood at its own estimates, computed by scipy.stats
        ours_metrics[f"{label}.loglik"] = fit.loglik
        ref_metrics[f"{label}.loglik"] = _scipy_loglik(distribution, ref, x)
    differences = [abs(ours_metrics[k] - ref_metrics[k]) / max(abs(ref_metrics[k]), 1e-12)
                   for k in ours_metrics]
    ctx.extra.update(samples=samples, fits=fits, target=target)
    ctx.ours = fits
    rows = [ModelRow("mlatlas", ours_metrics, ours_time), ModelRow("scipy.stats / closed form", ref_metrics, ref_time)]
    comparison = {"max_rel_difference": float(max(differences))}
    truth = {}
    for name, params in TRUTH.items():
        truth.update(_flatten(name, params))
    details = {"truth": truth, "standard_errors": se,
               "within_2se_of_truth": {k: bool(abs(ours_metrics[k] - v) <= 2 * se[k]) for k, v in truth.items()}}
    return RunResult(entry.name, ctx.dataset.name, ctx.params, ctx.seed, rows, comparison, details=details)


def _scipy_loglik(distribution: str, params: dict, x: np.ndarray) -> float:
    from scipy import stats

    p = params
    values = {
        "normal": lambda: stats.norm.logpdf(x, p["mu"], p["sigma"]),
        "bernoulli": lambda: stats.bernoulli.logpmf(x, p["p"]),
        "categorical": lambda: np.log(np.asarray(p["p"])[x.astype(int)]),
        "poisson": lambda: stats.poisson.logpmf(x, p["lam"]),
        "exponential": lambda: stats.expon.logpdf(x, scale=1 / p["rate"]),
        "gamma": lambda: stats.gamma.logpdf(x, p["shape"], scale=p["scale"]),
        "beta": lambda: stats.beta.logpdf(x, p["a"], p["b"]),
    }[distribution]()
    return float(np.sum(values))


def _fig_surface(ctx) -> str:
    """Log-likelihood surfaces with the estimate (and its +-2 se) marked; fitted densities."""
    from scipy import stats

    fits, samples, target = ctx.extra["fits"], ctx.extra["samples"], ctx.extra["target"]
    fig, axes = plots.figure(1, 3, size=4.6)

    # (1) normal: l(mu, sigma) on the generated sample
    x, fit = samples["normal"], fits["normal"]
    mu_hat, s_hat = fit.estimates["mu"], fit.estimates["sigma"]
    se_mu, se_s = fit.standard_errors["mu"], fit.standard_errors["sigma"]
    mu, sigma = np.meshgrid(np.linspace(mu_hat - 6 * se_mu, mu_hat + 6 * se_mu, 200),
                            np.linspace(s_hat - 6 * se_s, s_hat + 6 * se_s, 200))
    surface = log_likelihood("normal", x, mu=mu, sigma=sigma)
    ax = axes[0, 0]
    # contours of l - l_max; -2 (l - l_max) ~ chi2(2) gives the 95% region at 5.99 / 2
    levels = -np.array([40, 20, 10, 5, 2, 0.5])[::1]
    cs = ax.contourf(mu, sigma, np.maximum(surface - fit.loglik, -40), levels=np.r_[levels, 0], cmap="viridis")
    ax.contour(mu, sigma, surface - fit.loglik, levels=[-stats.chi2.ppf(0.95, 2) / 2], colors="w",
               linewidths=1.2)
    fig.colorbar(cs, ax=ax, label="l(μ, σ) − l_max")
    ax.errorbar(mu_hat, s_hat, xerr=2 * se_mu, yerr=2 * se_s, fmt="x", color="r", ms=8, capsize=3,
                label="MLE ± 2 se")
    ax.plot(TRUTH["normal"]["mu"], TRUTH["normal"]["sigma"], "*", color="orange", ms=11, label="truth")
    ax.set_xlabel("μ")
    ax.set_ylabel("σ")
    ax.set_title(f"normal log-likelihood (n={x.shape[0]})\nwhite: 95% likelihood region")
    ax.legend(fontsize=8, loc="upper right")

    # (2) gamma: l(shape, scale) on the dataset's target
    label = f"{ctx.dataset.name}-gamma"
    fit = fits[label]
    a_hat, th_hat = fit.estimates["shape"], fit.estimates["scale"]
    se_a, se_th = fit.standard_errors["shape"], fit.standard_errors["scale"]
    a, th = np.meshgrid(np.linspace(max(a_hat - 6 * se_a, 1e-3), a_hat + 6 * se_a, 200),
                        np.linspace(max(th_hat - 6 * se_th, 1e-6), th_hat + 6 * se_th, 200))
    surface = log_likelihood("gamma", target, shape=a, scale=th)
    ax = axes[0, 1]
    cs = ax.contourf(a, th, np.maximum(surface - fit.loglik, -40), levels=np.r_[levels, 0], cmap="viridis")
    ax.contour(a, th, surface - fit.loglik, levels=[-stats.chi2.ppf(0.95, 2) / 2], colors="w", linewidths=1.2)
    fig.colorbar(cs, ax=ax, label="l(a, θ) − l_max")
    ref_a, _, ref_th = stats.gamma.fit(target, floc=0)
    ax.plot(a_hat, th_hat, "x", color="r", ms=9, label="ours")
    ax.plot(ref_a, ref_th, "o", mfc="none", color="orange", ms=10, label="scipy gamma.fit")
    ax.set_xlabel("shape a")
    ax.set_ylabel("scale θ")
    ax.set_title(f"gamma log-likelihood on {ctx.dataset.name}\n(a ridge: a·θ ≈ mean is well determined)")
    ax.legend(fontsize=8, loc="upper right")

    # (3) the fitted densities on the dataset's histogram
    ax = axes[0, 2]
    ax.hist(target, bins=25, density=True, color="lightgrey", edgecolor="grey", label=ctx.dataset.name)
    grid = np.linspace(max(target.min() * 0.8, 1e-9), target.max() * 1.1, 300)
    normal_fit = fits[f"{ctx.dataset.name}-normal"]
    ax.plot(grid, stats.norm.pdf(grid, normal_fit["mu"], normal_fit["sigma"]), color="tab:blue",
            label=f"normal, l = {normal_fit.loglik:.1f}")
    ax.plot(grid, stats.gamma.pdf(grid, a_hat, scale=th_hat), color="tab:red",
            label=f"gamma, l = {fit.loglik:.1f}")
    ax.set_title(f"normal vs gamma MLE fits to {ctx.dataset.name}")
    ax.legend(fontsize=8)
    return plots.save(fig, ctx.path("mle-likelihood-surfaces"))


register(Entry(
    name="mle", family="probability",
    title="Maximum-likelihood estimates with observed-information standard errors",
    estimator=None,
    reference=None,
    reference_name="scipy.stats fit (closed form for discrete families)",
    dataset="nile", datasets=("nile", "diabetes"), task="other",
    params={}, demo_params={},
    primary_metric="normal.mu",
    figures=(_fig_surface,),
    runner=_run_mle,
))
