"""Registry entry ``ar``: AR(p) against statsmodels' AutoReg.

Both fit the whole series; the run compares their parameters, noise variance,
forecasts and 95% intervals.

Record
------
``series.{t,y,fitted}``: the series, its time stamps and our one-step fitted values;
``forecast.*``: the next 30 time stamps, our forecast with its interval and
statsmodels'; ``pacf.*``: partial autocorrelations (ours by Durbin-Levinson,
statsmodels'); ``roots.{real,imag}``: the roots of the fitted lag polynomial.
"""

from __future__ import annotations

import numpy as np

from ... import plots
from ..record import ModelRow
from ..registry import Entry, register
from ..runner import timed
from ..strings import translator

FORECAST_STEPS = 30


def run(ctx):
    """Fit ours and statsmodels' AutoReg on the whole series; compare fits, forecasts, PACF."""
    from statsmodels.tsa.ar_model import AutoReg
    from statsmodels.tsa.stattools import pacf as sm_pacf

    from ...timeseries.ar import pacf

    y = ctx.data.y
    params = ctx.params
    lags, trend = int(params.get("lags", 1)), params.get("trend", "c")
    # one untimed fit of each first: the series are tiny, so first-call costs would dominate
    ctx.estimator().fit(y).forecast(FORECAST_STEPS)
    AutoReg(y, lags, trend=trend).fit()

    ours = ctx.estimator()
    _, fit_time = timed(ours.fit, y)
    forecast, predict_time = timed(ours.forecast, FORECAST_STEPS, alpha=0.05)
    ref_model = AutoReg(y, lags, trend=trend)
    ref, ref_fit_time = timed(ref_model.fit)
    n = y.shape[0]
    frame, ref_predict_time = timed(
        lambda: ref.get_prediction(start=n, end=n + FORECAST_STEPS - 1).summary_frame(alpha=0.05))

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
    record = ctx.record(rows, params=ours.get_params(deep=False))
    ref_params = np.asarray(ref.params)
    record.comparison.update({
        "max_param_rel_difference": float(np.max(np.abs(ours.params_ - ref_params)
                                                 / np.maximum(np.abs(ref_params), 1e-300))),
        "sigma2_rel_difference": float(abs(ours.sigma2_ - ref.sigma2) / ref.sigma2),
        "max_forecast_difference": float(np.max(np.abs(forecast.mean - frame["mean"].to_numpy()))),
        "max_interval_difference": float(max(
            np.max(np.abs(forecast.lower - frame["mean_ci_lower"].to_numpy())),
            np.max(np.abs(forecast.upper - frame["mean_ci_upper"].to_numpy())))),
    })
    if params.get("method", "ols") != "ols":
        record.comparison["note"] = "ours uses Yule-Walker; statsmodels AutoReg uses least squares"
    record.info.update(coefficients=dict(zip(ours.param_names_, ours.params_.tolist())), bse=ours.bse_.tolist(),
                       lags=int(ours.lags), trend=str(ours.trend), stationary=bool(ours.is_stationary_),
                       time_name=str(ctx.data.feature_names[0]))

    # the series' time stamps and FORECAST_STEPS more at the same spacing
    t = ctx.data.X[:, 0].astype(float)
    step = float(np.median(np.diff(t))) if t.shape[0] > 1 else 1.0
    record.add("series", t=t, y=y, fitted=ours.predict(0, n - 1))
    record.add("forecast", t=t[-1] + step * np.arange(1, FORECAST_STEPS + 1), mean=forecast.mean,
               lower=forecast.lower, upper=forecast.upper, reference_mean=frame["mean"].to_numpy(),
               reference_lower=frame["mean_ci_lower"].to_numpy(), reference_upper=frame["mean_ci_upper"].to_numpy())
    nlags = int(min(30, n // 2 - 1))
    record.add("pacf", mlatlas=pacf(y, nlags), reference=sm_pacf(y, nlags, method="ldb"))
    record.add("roots", real=ours.roots_.real, imag=ours.roots_.imag)
    return record


def draw_forecast(record, lang):
    """The series, one-step fitted values, and the forecast with its 95% interval."""
    t = translator(lang)
    a = record.arrays
    y, time_ = a["series.y"], a["series.t"]
    future = a["forecast.t"]
    fig, axes = plots.figure(1, 1, size=8.0)
    ax = axes[0, 0]
    keep = slice(max(0, y.shape[0] - 150), None)
    ax.plot(time_[keep], y[keep], color="k", lw=1.0, label=t("ar.observed"))
    ax.plot(time_[keep], a["series.fitted"][keep], color="tab:blue", lw=1.0, alpha=0.8, label=t("ar.fitted"))
    ax.plot(future, a["forecast.mean"], color="tab:red", lw=1.5, label=t("ar.forecast"))
    ax.fill_between(future, a["forecast.lower"], a["forecast.upper"], color="tab:red", alpha=0.2,
                    label=t("ar.interval"))
    ax.plot(future, a["forecast.reference_mean"], "o", ms=3, mfc="none", color="tab:green",
            label=t("ar.sm_forecast"))
    ax.plot(future, a["forecast.reference_lower"], "--", color="tab:green", lw=0.8)
    ax.plot(future, a["forecast.reference_upper"], "--", color="tab:green", lw=0.8, label=t("ar.sm_interval"))
    ax.set_title(t("ar.forecast_title", lags=record.info["lags"], trend=record.info["trend"],
                   dataset=record.dataset, steps=FORECAST_STEPS))
    ax.set_xlabel(record.info["time_name"])
    ax.set_ylabel(t("ar.value", dataset=record.dataset))
    ax.legend(fontsize=8, loc="upper left")
    return plots.save(fig, record.figure_path("ar-forecast", lang))


def draw_pacf(record, lang):
    """Partial autocorrelations (ours vs statsmodels) and the lag-polynomial roots."""
    t = translator(lang)
    ours, ref = record.array("pacf.mlatlas"), record.array("pacf.reference")
    n = record.array("series.y").shape[0]
    lags = np.arange(1, ours.size)
    fig, axes = plots.figure(1, 2, size=5.0)
    ax = axes[0, 0]
    ax.vlines(lags, 0, ours[1:], color="tab:blue", lw=2)
    ax.plot(lags, ours[1:], "o", color="tab:blue", ms=4, label=t("ar.pacf_ours"))
    ax.plot(lags, ref[1:], "x", color="tab:orange", ms=6, label=t("ar.pacf_sm"))
    band = 1.96 / np.sqrt(n)
    ax.axhspan(-band, band, color="grey", alpha=0.2, label="±1.96/√n")
    ax.axhline(0, color="k", lw=0.5)
    p = record.info["lags"]
    ax.axvline(p + 0.5, color="tab:red", ls=":", lw=1, label=t("ar.order", p=p))
    ax.set_xlabel(t("ar.lag"))
    ax.set_ylabel(t("ar.pacf"))
    ax.set_title(t("ar.pacf_title", dataset=record.dataset))
    ax.legend(fontsize=8)

    ax = axes[0, 1]
    theta = np.linspace(0, 2 * np.pi, 400)
    ax.plot(np.cos(theta), np.sin(theta), color="k", lw=0.8, label=t("ar.unit_circle"))
    real, imag = record.array("roots.real"), record.array("roots.imag")
    if real.size:
        ax.plot(real, imag, "o", color="tab:blue", label=t("ar.roots"))
    ax.set_aspect("equal")
    limit = max(1.5, float(np.max(np.hypot(real, imag))) * 1.1 if real.size else 1.5)
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    ax.set_xlabel(t("ar.real"))
    ax.set_ylabel(t("ar.imaginary"))
    state = t("ar.stationary") if record.info["stationary"] else t("ar.not_stationary")
    ax.set_title(t("ar.roots_title", state=state))
    ax.legend(fontsize=8, loc="lower left")
    return plots.save(fig, record.figure_path("ar-pacf-roots", lang))


register(Entry(
    name="ar", family="timeseries",
    title="Autoregressive model AR(p) by least squares (or Yule-Walker), with forecasts",
    run=run, config="mlatlas.timeseries:AutoRegressive", references=("statsmodels.tsa.ar_model.AutoReg",),
    dataset="sunspots", datasets=("sunspots", "nile", "macrodata", "ar"), task="timeseries",
    params={"lags": 9, "trend": "c", "method": "ols"}, requires=("statsmodels",),
    figures=(draw_forecast, draw_pacf), primary_metric="aic",
))
