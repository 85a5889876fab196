"""Benchmark: AutoRegressive (least squares, p=10) against statsmodels' AutoReg.

The timed step is the fit plus a 50-step forecast with 95% intervals; the quality
figure is the innovation variance sigma2 (the two must agree).
"""

from __future__ import annotations

from .harness import case

PHI = (0.5, -0.2, 0.1, 0.05, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1)
STEPS = 50


def _setup(quick: bool):
    from mlatlas.datasets import simulate_ar

    n = 10_000 if quick else 100_000
    return simulate_ar(PHI, n, const=1.0, random_state=0)


def _ours(y) -> float:
    from mlatlas.timeseries import AutoRegressive

    model = AutoRegressive(lags=10, trend="c").fit(y)
    model.forecast(STEPS, alpha=0.05)
    return model.sigma2_


def _reference(y) -> float:
    from statsmodels.tsa.ar_model import AutoReg

    result = AutoReg(y, 10, trend="c").fit()
    n = y.shape[0]
    result.get_prediction(start=n, end=n + STEPS - 1).summary_frame(alpha=0.05)
    return result.sigma2


case(
    name="ar: AutoRegressive p=10, 100k points (fit + 50-step forecast)",
    group="timeseries",
    setup=_setup,
    ours=_ours,
    reference=_reference,
    reference_name="statsmodels AutoReg",
    quality_name="sigma2",
    target=1.0,
    repeats=7,
    quality_higher_is_better=False,
)
