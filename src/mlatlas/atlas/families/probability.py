"""Registry entry ``mle``: maximum-likelihood estimates (mlatlas.probability) against scipy.stats.

The run fits seven families to seeded samples drawn from known parameters, and a
normal and a gamma distribution to the run's dataset's target (the Nile's flow, the
diabetes progression score).  The summary's metric is the dataset's own normal mean.

Record
------
``normal_surface.*``: l(mu, sigma) of the generated normal sample on a 200 x 200 grid
around the estimate; ``gamma_surface.*``: l(shape, scale) of the dataset's target;
``target``: the dataset's target; ``densities.*``: the fitted normal and gamma
densities on a grid; estimates, standard errors and the truth in ``info``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

from ... import plots
from ..record import ModelRow
from ..registry import Entry, register
from ..strings import translator

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
_GRID = 200


@dataclass
class MLEConfig:
    """Settings of the ``mle`` run.

    Attributes
    ----------
    n_samples : int
        Size of each generated sample.
    """

    n_samples: int = 500


def _draw(rng: np.random.Generator, n: int) -> dict:
    t = TRUTH
    return {
        "normal": rng.normal(t["normal"]["mu"], t["normal"]["sigma"], n),
        "bernoulli": (rng.random(n) < t["bernoulli"]["p"]).astype(float),
        "categorical": rng.choice(3, size=n, p=t["categorical"]["p"]),
        "poisson": rng.poisson(t["poisson"]["lam"], n).astype(float),
        "exponential": rng.exponential(1 / t["exponential"]["rate"], n),
        "gamma": rng.gamma(t["gamma"]["shape"], t["gamma"]["scale"], n),
        "beta": rng.beta(t["beta"]["a"], t["beta"]["b"], n),
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


def run(ctx):
    """Fit the seven families to seeded samples and a normal and gamma to the dataset's target."""
    from scipy import stats

    from ...base import check_random_state
    from ...probability.mle import log_likelihood, mle

    config = ctx.config
    rng = check_random_state(ctx.seed)
    samples = _draw(rng, config.n_samples)
    target = np.asarray(ctx.data.y, dtype=float)
    name = ctx.data.name
    jobs = [(label, label, x) for label, x in samples.items()]
    jobs += [(f"{name}-normal", "normal", target), (f"{name}-gamma", "gamma", target)]
    # untimed first calls, so that lazy imports and first-call costs stay out of the times
    mle("normal", samples["normal"])
    _reference_fit("gamma", samples["gamma"])
    ours_metrics, ref_metrics, fits, se = {}, {}, {}, {}
    ours_time = ref_time = 0.0
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
    differences = [abs(ours_metrics[k] - ref_metrics[k]) / max(abs(ref_metrics[k]), 1e-12) for k in ours_metrics]
    rows = [ModelRow("mlatlas", ours_metrics, ours_time),
            ModelRow("scipy.stats / closed form", ref_metrics, ref_time)]
    record = ctx.record(rows, params=asdict(config))
    # the summary shows the run's own data, not a generated sample
    record.primary_metric = f"{name}-normal.mu"
    record.comparison["max_rel_difference"] = float(max(differences))
    truth = {}
    for family, params in TRUTH.items():
        truth.update(_flatten(family, params))
    record.info.update(truth=truth, standard_errors=se,
                       within_2se_of_truth={k: bool(abs(ours_metrics[k] - v) <= 2 * se[k]) for k, v in truth.items()})

    # l(mu, sigma) of the generated normal sample around its estimate (+- 6 standard errors)
    fit = fits["normal"]
    mu_hat, s_hat = fit.estimates["mu"], fit.estimates["sigma"]
    se_mu, se_s = fit.standard_errors["mu"], fit.standard_errors["sigma"]
    mus = np.linspace(mu_hat - 6 * se_mu, mu_hat + 6 * se_mu, _GRID)
    sigmas = np.linspace(s_hat - 6 * se_s, s_hat + 6 * se_s, _GRID)
    mu, sigma = np.meshgrid(mus, sigmas)
    record.add("normal_surface", mu=mus, sigma=sigmas,
               gap=log_likelihood("normal", samples["normal"], mu=mu, sigma=sigma) - fit.loglik)
    record.info["normal_fit"] = {"mu": mu_hat, "sigma": s_hat, "se_mu": se_mu, "se_sigma": se_s,
                                 "n": int(samples["normal"].shape[0])}

    # l(shape, scale) of the dataset's target, and scipy's estimate
    fit = fits[f"{name}-gamma"]
    a_hat, th_hat = fit.estimates["shape"], fit.estimates["scale"]
    se_a, se_th = fit.standard_errors["shape"], fit.standard_errors["scale"]
    shapes = np.linspace(max(a_hat - 6 * se_a, 1e-3), a_hat + 6 * se_a, _GRID)
    scales = np.linspace(max(th_hat - 6 * se_th, 1e-6), th_hat + 6 * se_th, _GRID)
    a, th = np.meshgrid(shapes, scales)
    record.add("gamma_surface", shape=shapes, scale=scales,
               gap=log_likelihood("gamma", target, shape=a, scale=th) - fit.loglik)
    ref_a, _, ref_th = stats.gamma.fit(target, floc=0)
    record.info["gamma_fit"] = {"shape": a_hat, "scale": th_hat, "loglik": fit.loglik,
                                "reference_shape": float(ref_a), "reference_scale": float(ref_th)}

    # both fitted densities over the target's range
    normal = fits[f"{name}-normal"]
    grid = np.linspace(max(target.min() * 0.8, 1e-9), target.max() * 1.1, 300)
    record.add("densities", x=grid, normal=stats.norm.pdf(grid, normal["mu"], normal["sigma"]),
               gamma=stats.gamma.pdf(grid, a_hat, scale=th_hat))
    record.info["normal_target_loglik"] = normal.loglik
    record.add("target", values=target)
    # -2 (l - l_max) ~ chi2(2): the 95% likelihood region is l - l_max > -chi2_0.95(2) / 2
    record.info["region_95"] = float(-stats.chi2.ppf(0.95, 2) / 2)
    return record


def draw_surfaces(record, lang):
    """Log-likelihood surfaces with the estimate (and its +-2 se) marked; fitted densities."""
    t = translator(lang)
    levels = np.r_[-np.array([40, 20, 10, 5, 2, 0.5]), 0]
    region = record.info["region_95"]
    fig, axes = plots.figure(1, 3, size=4.6)

    # (1) normal: l(mu, sigma) on the generated sample
    ax = axes[0, 0]
    n = record.info["normal_fit"]
    mu, sigma, gap = (record.array(f"normal_surface.{k}") for k in ("mu", "sigma", "gap"))
    cs = ax.contourf(mu, sigma, np.maximum(gap, -40), levels=levels, cmap="viridis")
    ax.contour(mu, sigma, gap, levels=[region], colors="w", linewidths=1.2)
    fig.colorbar(cs, ax=ax, label="l(μ, σ) − l_max")
    ax.errorbar(n["mu"], n["sigma"], xerr=2 * n["se_mu"], yerr=2 * n["se_sigma"], fmt="x", color="r", ms=8,
                capsize=3, label=t("mle.estimate"))
    ax.plot(TRUTH["normal"]["mu"], TRUTH["normal"]["sigma"], "*", color="orange", ms=11, label=t("mle.truth"))
    ax.set_xlabel("μ")
    ax.set_ylabel("σ")
    ax.set_title(t("mle.normal_title", n=n["n"]), fontsize=10)
    ax.legend(fontsize=8, loc="upper right")

    # (2) gamma: l(shape, scale) on the dataset's target
    ax = axes[0, 1]
    g = record.info["gamma_fit"]
    shape, scale, gap = (record.array(f"gamma_surface.{k}") for k in ("shape", "scale", "gap"))
    cs = ax.contourf(shape, scale, np.maximum(gap, -40), levels=levels, cmap="viridis")
    ax.contour(shape, scale, gap, levels=[region], colors="w", linewidths=1.2)
    fig.colorbar(cs, ax=ax, label="l(a, θ) − l_max")
    ax.plot(g["shape"], g["scale"], "x", color="r", ms=9, label="mlatlas")
    ax.plot(g["reference_shape"], g["reference_scale"], "o", mfc="none", color="orange", ms=10,
            label="scipy gamma.fit")
    ax.set_xlabel(t("mle.shape"))
    ax.set_ylabel(t("mle.scale"))
    ax.set_title(t("mle.gamma_title", dataset=record.dataset), fontsize=10)
    ax.legend(fontsize=8, loc="upper right")

    # (3) the fitted densities on the dataset's histogram
    ax = axes[0, 2]
    ax.hist(record.array("target.values"), bins=25, density=True, color="lightgrey", edgecolor="grey",
            label=record.dataset)
    x = record.array("densities.x")
    ax.plot(x, record.array("densities.normal"), color="tab:blue",
            label=t("mle.normal_label", loglik=record.info["normal_target_loglik"]))
    ax.plot(x, record.array("densities.gamma"), color="tab:red", label=t("mle.gamma_label", loglik=g["loglik"]))
    ax.set_xlabel(t("mle.value", dataset=record.dataset))
    ax.set_ylabel(t("mle.density"))
    ax.set_title(t("mle.densities_title", dataset=record.dataset), fontsize=10)
    ax.legend(fontsize=8)
    return plots.save(fig, record.figure_path("mle-likelihood-surfaces", lang))


register(Entry(
    name="mle", family="probability",
    title="Maximum-likelihood estimates with observed-information standard errors",
    run=run, config=MLEConfig, references=("scipy.stats fit (closed form for discrete families)",),
    # the nile series comes with statsmodels; the run sets its primary metric per dataset
    dataset="nile", datasets=("nile", "diabetes"), task="other", optional=("statsmodels",),
    figures=(draw_surfaces,),
))
