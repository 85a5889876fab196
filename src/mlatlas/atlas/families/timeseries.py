"""Registry entries for time-series models: AR(p) against statsmodels' AutoReg."""

from __future__ import annotations


import numpy as np

from ... import plots
from ...timeseries.ar import AutoRegressive, pacf
from ..registry import Entry, register
from ..runner import ModelRow, RunResult, timed

FORECAST_STEPS = 30



def _run_ar(entry: Entry, ctx) -> RunResult:
    """Fit ours and statsmodels' AutoReg on the whole series; compare fit and forecasts."""
    from statsmodels.tsa.ar_model import AutoReg

    y = ctx.dataset.y
    params = ctx.params
    ctx.X_train, ctx.y_train = ctx.dataset.X, y

    lags, trend = int(params.get("lags", 1)), params.get("trend", "c")
    # one untimed fit of each first: the series are tiny, so first-call costs would dominate
    entry.estimator(**params).fit(y).forecast(FORECAST_STEPS)
    AutoReg(y, lags, trend=trend).fit()

    ours = entry.estimator(**params)
    _, fit_time = timed(ours.fit, y)
    forecast, predict_time = timed(ours.forecast, FORECAST_STEPS, alpha=0.05)
    ctx.ours = ours

    ref_model = AutoReg(y, lags, trend=trend)
    ref, ref_fit_time = timed(ref_model.fit)
    n = y.shape[0]
    frame, ref_predict_time = timed(
        lambda: ref.get_prediction(start=n, end=n + FORECAST_STEPS - 1).summary_frame(alpha=0.05))
    ctx.reference = ref
    ctx.extra["forecast"] = forecast
    ctx.extra["reference_forecast"] = frame

    def metrics(sigma2, llf, aic, bic, resid):
        return {"sigma2": float(sigma2), "log_likelihood": float(llf), "aic": float(aic),
                "bic": float(bic), "rmse_one_step": float(np.sqrt(np.mean(np.asarray(resid) ** 2)))}

    rows = [
        ModelRow("mlatlas", {**metrics(ours.sigma2_, ours.llf_, ours.aic_, ours.bic_, ours.resid_),
                             "stationary": bool(ours.is_stationary_)}, fit_time, predict_time),
        ModelRow("statsmodels AutoReg", {**metrics(ref.sigma2, ref.llf, ref.aic, ref.bic, ref.resid),
                                         "stationary": bool(np.all(np.abs(ref.roots) > 1))},
                 ref_fit_time, ref_predict_time),
    ]
    ref_params = np.asarray(ref.params)
    comparison = {
        "max_param_rel_difference": float(np.max(np.abs(ours.params_ - ref_params)
                                                 / np.maximum(np.abs(ref_params), 1e-300))),
        "sigma2_rel_difference": float(abs(ours.sigma2_ - ref.sigma2) / ref.sigma2),
        "max_forecast_difference": float(np.max(np.abs(forecast.mean - frame["mean"].to_numpy()))),
        "max_interval_difference": float(max(
            np.max(np.abs(forecast.lower - frame["mean_ci_lower"].to_numpy())),
            np.max(np.abs(forecast.upper - frame["mean_ci_upper"].to_numpy())))),
    }
    if params.get("method", "ols") != "ols":
        comparison["note"] = "ours uses Yule-Walker; statsmodels AutoReg uses least squares"
    details = {"params": dict(zip(ours.param_names_, ours.params_.tolist())),
               "bse": ours.bse_.tolist(), "roots_modulus": np.abs(ours.roots_).tolist(),
               "forecast_mean": forecast.mean.tolist(), "forecast_lower": forecast.lower.tolist(),
               "forecast_upper": forecast.upper.tolist()}
    return RunResult(entry.name, ctx.dataset.name, params, ctx.seed, rows, comparison, details=details)


def _time_axis(ctx) -> tuple[np.ndarray, np.ndarray]:
    """The series' time stamps and FORECAST_STEPS more at the same spacing."""
    t = ctx.dataset.X[:, 0].astype(float)
    step = float(np.median(np.diff(t))) if t.shape[0] > 1 else 1.0
    return t, t[-1] + step * np.arange(1, FORECAST_STEPS + 1)


def _fig_forecast(ctx) -> str:
    """The series, one-step fitted values, and the forecast with its 95% interval."""
    model, y = ctx.ours, ctx.dataset.y
    forecast, frame = ctx.extra["forecast"], ctx.extra["reference_forecast"]
    t, t_future = _time_axis(ctx)
    fig, axes = plots.figure(1, 1, size=8.0)
    ax = axes[0, 0]
    keep = slice(max(0, y.shape[0] - 150), None)
    ax.plot(t[keep], y[keep], color="k", lw=1.0, label="observed")
    fitted = model.predict(0, y.shape[0] - 1)
    ax.plot(t[keep], fitted[keep], color="tab:blue", lw=1.0, alpha=0.8, label="one-step fitted (ours)")
    ax.plot(t_future, forecast.mean, color="tab:red", lw=1.5, label="forecast (ours)")
    ax.fill_between(t_future, forecast.lower, forecast.upper, color="tab:red", alpha=0.2,
                    label="95% interval (ours)")
    ax.plot(t_future, frame["mean"].to_numpy(), "o", ms=3, mfc="none", color="tab:green",
            label="statsmodels forecast")
    ax.plot(t_future, frame["mean_ci_lower"].to_numpy(), "--", color="tab:green", lw=0.8)
    ax.plot(t_future, frame["mean_ci_upper"].to_numpy(), "--", color="tab:green", lw=0.8,
            label="statsmodels 95% interval")
    ax.set_title(f"AR({model.lags}), trend={model.trend!r} on {ctx.dataset.name}: "
                 f"fit and {FORECAST_STEPS}-step forecast")
    ax.set_xlabel(ctx.dataset.feature_names[0])
    ax.legend(fontsize=8, loc="upper left")
    return plots.save(fig, ctx.path("ar-forecast"))


def _fig_pacf(ctx) -> str:
    """Partial autocorrelations (ours vs statsmodels) and the lag-polynomial roots."""
    from statsmodels.tsa.stattools import pacf as sm_pacf

    y, model = ctx.dataset.y, ctx.ours
    nlags = int(min(30, y.shape[0] // 2 - 1))
    ours = pacf(y, nlags)
    ref = sm_pacf(y, nlags, method="ldb")
    lags = np.arange(1, nlags + 1)
    fig, axes = plots.figure(1, 2, size=5.0)
    ax = axes[0, 0]
    ax.vlines(lags, 0, ours[1:], color="tab:blue", lw=2)
    ax.plot(lags, ours[1:], "o", color="tab:blue", ms=4, label="ours (Durbin-Levinson)")
    ax.plot(lags, ref[1:], "x", color="tab:orange", ms=6, label="statsmodels pacf")
    band = 1.96 / np.sqrt(y.shape[0])
    ax.axhspan(-band, band, color="grey", alpha=0.2, label="±1.96/√n")
    ax.axhline(0, color="k", lw=0.5)
    ax.axvline(model.lags + 0.5, color="tab:red", ls=":", lw=1, label=f"fitted order p={model.lags}")
    ax.set_xlabel("lag k")
    ax.set_ylabel("partial autocorrelation φ_kk")
    ax.set_title(f"PACF of {ctx.dataset.name}")
    ax.legend(fontsize=8)

    ax = axes[0, 1]
    theta = np.linspace(0, 2 * np.pi, 400)
    ax.plot(np.cos(theta), np.sin(theta), color="k", lw=0.8, label="unit circle")
    roots = model.roots_
    if roots.size:
        ax.plot(roots.real, roots.imag, "o", color="tab:blue", label="roots of φ(z)")
    ax.set_aspect("equal")
    limit = max(1.5, float(np.max(np.abs(roots))) * 1.1 if roots.size else 1.5)
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    state = "stationary" if model.is_stationary_ else "NOT stationary"
    ax.set_title(f"roots of 1 - Σ φ_i z^i: {state}")
    ax.legend(fontsize=8, loc="lower left")
    return plots.save(fig, ctx.path("ar-pacf-roots"))


register(Entry(
    name="ar", family="timeseries",
    title="Autoregressive model AR(p) by least squares (or Yule-Walker), with forecasts",
    estimator=AutoRegressive,
    reference=None,
    reference_name="statsmodels.tsa.ar_model.AutoReg",
    dataset="sunspots", datasets=("sunspots", "nile", "macrodata", "ar"), task="timeseries",
    params={"lags": 9, "trend": "c", "method": "ols"}, demo_params={},
    primary_metric="aic",
    figures=(_fig_forecast, _fig_pacf),
    runner=_run_ar,
))
