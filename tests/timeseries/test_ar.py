"""AutoRegressive: parity with statsmodels' AutoReg, forecasts, order selection, contract."""

import functools

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

try:
    from statsmodels.regression.linear_model import yule_walker
    from statsmodels.tsa.ar_model import AutoReg, ar_select_order
    from statsmodels.tsa.stattools import pacf as sm_pacf
except ImportError:  # the parity tests skip; the tests of our own maths still run
    AutoReg = None

from mlatlas import datasets
from mlatlas.persistence import load_model, save_model
from mlatlas.timeseries import AutoRegressive, select_order
from mlatlas.timeseries.ar import acovf, pacf

#: marks a test that needs statsmodels: its AutoReg is the reference and its bundled
#: series (sunspots, nile) the data.  Only these tests skip where statsmodels is absent.
needs_statsmodels = pytest.mark.skipif(AutoReg is None, reason="needs statsmodels (the reference and its data)")

RTOL = 1e-8
NAMES = ("nile", "sunspots")
#: a series for the tests that need no reference: an AR(2) process with a level and noise
SIMULATED = datasets.simulate_ar([0.6, -0.3], 120, const=900.0, sigma=150.0, random_state=11)


@functools.lru_cache(maxsize=None)
def series(name):
    """statsmodels' bundled series ``name`` (loaded on first use)."""
    return datasets.load(name).y


TRENDS = ("n", "c", "t", "ct")


def assert_rel(ours, ref, rtol=RTOL, atol=0.0):
    np.testing.assert_allclose(np.asarray(ours), np.asarray(ref), rtol=rtol, atol=atol)


@needs_statsmodels
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("trend", TRENDS)
@pytest.mark.parametrize("lags", [1, 2, 5, 9])
def test_matches_statsmodels_autoreg(name, trend, lags):
    y = series(name)
    ref = AutoReg(y, lags, trend=trend).fit()
    ours = AutoRegressive(lags=lags, trend=trend).fit(y)
    assert_rel(ours.params_, ref.params)
    assert_rel(ours.sigma2_, ref.sigma2)
    assert_rel(ours.bse_, ref.bse)
    assert_rel(ours.llf_, ref.llf)
    assert_rel(ours.aic_, ref.aic)
    assert_rel(ours.bic_, ref.bic)
    assert_rel(ours.hqic_, ref.hqic)
    assert_rel(ours.resid_, ref.resid, atol=1e-9 * np.abs(y).max())
    assert ours.nobs_ == ref.nobs
    assert_rel(np.sort_complex(ours.roots_), np.sort_complex(ref.roots))


@needs_statsmodels
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("trend", TRENDS)
@pytest.mark.parametrize("alpha", [0.05, 0.2])
def test_forecast_and_intervals_match_statsmodels(name, trend, alpha):
    y = series(name)
    n, steps = y.shape[0], 25
    ref = AutoReg(y, 4, trend=trend).fit()
    frame = ref.get_prediction(start=n, end=n + steps - 1).summary_frame(alpha=alpha)
    fc = AutoRegressive(lags=4, trend=trend).fit(y).forecast(steps, alpha=alpha)
    assert_rel(fc.mean, ref.forecast(steps))
    assert_rel(fc.se, frame["mean_se"].to_numpy())
    assert_rel(fc.lower, frame["mean_ci_lower"].to_numpy())
    assert_rel(fc.upper, frame["mean_ci_upper"].to_numpy())


@needs_statsmodels
def test_predict_in_and_out_of_sample_matches_statsmodels():
    y = series("sunspots")
    n = y.shape[0]
    ref = AutoReg(y, 3, trend="ct").fit()
    ours = AutoRegressive(lags=3, trend="ct").fit(y)
    full = ours.predict(0, n + 5)
    expected = ref.predict(start=0, end=n + 5)
    assert np.array_equal(np.isnan(full), np.isnan(expected))
    assert_rel(full[3:], expected[3:])
    assert_rel(ours.predict(), ref.fittedvalues)
    assert_rel(ours.predict(n + 2, n + 5), ref.predict(start=n + 2, end=n + 5))


@needs_statsmodels
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("trend", TRENDS)
@pytest.mark.parametrize("ic", ["aic", "bic", "hqic"])
def test_select_order_matches_ar_select_order(name, trend, ic):
    y = series(name)
    ref = ar_select_order(y, 12, ic=ic, trend=trend)
    ours = select_order(y, 12, ic=ic, trend=trend)
    assert ours.lags == (max(ref.ar_lags) if ref.ar_lags else 0)
    ref_values = {(len(k) if k != 0 else 0): v for k, v in getattr(ref, ic).items()}
    assert set(ref_values) == set(ours.values) == set(range(13))
    for p, value in ref_values.items():
        assert ours.values[p] == pytest.approx(value, rel=1e-10)


@needs_statsmodels
@pytest.mark.parametrize("name", NAMES)
def test_pacf_matches_statsmodels(name):
    y = series(name)
    assert_rel(pacf(y, 20), sm_pacf(y, 20, method="ldb"), atol=1e-12)
    assert_rel(pacf(y, 20, method="ols"), sm_pacf(y, 20, method="ols"), atol=1e-12)
    # the lag-k PACF is the last coefficient of the AR(k) Yule-Walker fit
    phi4 = AutoRegressive(lags=4, method="yule-walker").fit(y).ar_coef_
    assert pacf(y, 4)[4] == pytest.approx(phi4[-1], rel=1e-10)


@needs_statsmodels
@pytest.mark.parametrize("trend", ["n", "c"])
def test_yule_walker_matches_statsmodels(trend):
    y = series("sunspots")
    rho, sigma = yule_walker(y, order=5, method="mle", demean=trend == "c", result_object=False)
    model = AutoRegressive(lags=5, trend=trend, method="yule-walker").fit(y)
    assert_rel(model.ar_coef_, rho)
    assert_rel(model.sigma2_, sigma**2)
    if trend == "c":
        # the constant makes the stationary mean equal the sample mean
        assert model.params_[0] / (1 - rho.sum()) == pytest.approx(y.mean(), rel=1e-12)
    assert model.is_stationary_


def test_hand_computed_ar1_without_trend():
    # phi = sum y_t y_{t-1} / sum y_{t-1}^2 = (1*2 + 2*3 + 3*5) / (1 + 4 + 9) = 23/14
    model = AutoRegressive(lags=1, trend="n").fit([1.0, 2.0, 3.0, 5.0])
    assert model.params_[0] == pytest.approx(23 / 14, rel=1e-14)
    resid = np.array([2.0, 3.0, 5.0]) - 23 / 14 * np.array([1.0, 2.0, 3.0])
    assert model.sigma2_ == pytest.approx(resid @ resid / 3, rel=1e-14)
    # one-step forecast phi * 5, two steps phi^2 * 5, se_2 = sigma sqrt(1 + phi^2)
    fc = model.forecast(2)
    assert_rel(fc.mean, [23 / 14 * 5, (23 / 14) ** 2 * 5], rtol=1e-14)
    assert fc.se[1] == pytest.approx(np.sqrt(model.sigma2_ * (1 + (23 / 14) ** 2)), rel=1e-14)
    assert model.roots_[0].real == pytest.approx(14 / 23, rel=1e-14)
    assert not model.is_stationary_


def test_acovf_hand_computed():
    # mean 2: deviations (-1, 0, 1); gamma_0 = 2/3, gamma_1 = 0, gamma_2 = -1/3
    assert_rel(acovf([1.0, 2.0, 3.0], 2), [2 / 3, 0.0, -1 / 3], rtol=1e-15, atol=1e-15)


def test_recovers_simulated_process_and_simulate_refit():
    y = datasets.simulate_ar([0.6, -0.3], 20_000, const=2.0, random_state=7)
    model = AutoRegressive(lags=2).fit(y)
    np.testing.assert_allclose(model.params_, [2.0, 0.6, -0.3], atol=0.05)
    assert model.sigma2_ == pytest.approx(1.0, rel=0.05)
    path = model.simulate(20_000, random_state=1)
    refit = AutoRegressive(lags=2).fit(path)
    np.testing.assert_allclose(refit.params_, model.params_, atol=0.06)
    assert path.mean() == pytest.approx(2.0 / (1 - 0.3), rel=0.05)


def test_simulate_is_reproducible():
    model = AutoRegressive(lags=3, trend="ct").fit(SIMULATED)
    a = model.simulate(40, random_state=5)
    assert a.shape == (40,)
    assert np.array_equal(a, model.simulate(40, random_state=5))
    assert not np.array_equal(a, model.simulate(40, random_state=6))
    assert np.array_equal(model.simulate(40, random_state=np.random.default_rng(3)),
                          model.simulate(40, random_state=np.random.default_rng(3)))


def test_forecast_interval_widths_follow_psi_weights():
    model = AutoRegressive(lags=1, trend="c").fit(SIMULATED)
    phi = model.params_[1]
    fc = model.forecast(6)
    expected = np.sqrt(model.sigma2_ * np.cumsum(phi ** (2 * np.arange(6))))
    assert_rel(fc.se, expected, rtol=1e-12)
    assert np.all(np.diff(fc.upper - fc.lower) > 0)


def test_lags_zero_is_the_mean_model():
    y = SIMULATED
    model = AutoRegressive(lags=0).fit(y)
    assert model.params_ == pytest.approx([y.mean()])
    assert model.roots_.shape == (0,)
    assert_rel(model.forecast(3).mean, np.full(3, y.mean()))


def test_estimator_contract_clone_and_params():
    model = AutoRegressive(lags=3, trend="ct", method="ols")
    assert model.get_params() == {"lags": 3, "trend": "ct", "method": "ols"}
    copy = clone(model)
    assert copy is not model and copy.get_params() == model.get_params()
    assert model.set_params(lags=5) is model and model.lags == 5
    fitted = AutoRegressive(lags=2).fit(SIMULATED)
    assert AutoRegressive(lags=2).fit(SIMULATED) is not fitted
    assert not hasattr(clone(fitted), "params_")
    assert "AutoRegressive(lags=2)" == repr(AutoRegressive(lags=2))


@pytest.mark.parametrize("call", [
    lambda m: m.predict(),
    lambda m: m.forecast(3),
    lambda m: m.simulate(10, random_state=0),
])
def test_not_fitted_errors(call):
    with pytest.raises(NotFittedError):
        call(AutoRegressive())


@pytest.mark.parametrize("params, error, words", [
    ({"lags": -1}, ValueError, "lags"),
    ({"lags": 1.5}, TypeError, "lags"),
    ({"lags": True}, TypeError, "lags"),
    ({"trend": "x"}, ValueError, "trend"),
    ({"method": "burg"}, ValueError, "method"),
    ({"method": "yule-walker", "trend": "ct"}, ValueError, "yule-walker"),
])
def test_bad_parameters(params, error, words):
    with pytest.raises(error, match=words):
        AutoRegressive(**params).fit(SIMULATED)


def test_series_and_samples_share_one_check():
    """AR's series and MLE's samples are checked by the same function: same rules, same words."""
    from mlatlas.probability import mle

    for bad in (np.ones((3, 2)), [1.0, np.inf, 2.0], []):
        with pytest.raises(ValueError) as ar_error:
            AutoRegressive(lags=1).fit(bad)
        with pytest.raises(ValueError) as mle_error:
            mle("normal", bad)
        assert str(ar_error.value).replace("y ", "x ", 1) == str(mle_error.value)
    # one row or one column is a series
    column = AutoRegressive(lags=2).fit(SIMULATED[:, None])
    row = AutoRegressive(lags=2).fit(SIMULATED[None, :])
    np.testing.assert_array_equal(column.params_, row.params_)


def test_bad_input_series():
    model = AutoRegressive(lags=2)
    with pytest.raises(ValueError, match="1-D"):
        model.fit(np.ones((10, 2)))
    with pytest.raises(ValueError, match="NaN"):
        model.fit(np.array([1.0, np.nan, 2.0, 3.0, 4.0]))
    with pytest.raises(ValueError, match="observations"):
        model.fit(np.arange(4.0))
    with pytest.raises(TypeError, match="y must be"):
        model.fit(["a", "b", "c"])
    with pytest.raises(ValueError, match="X must be None"):
        model.fit(np.arange(20.0), np.arange(20.0))
    fitted = model.fit(SIMULATED)
    with pytest.raises(ValueError, match="steps"):
        fitted.forecast(0)
    with pytest.raises(ValueError, match="alpha"):
        fitted.forecast(3, alpha=1.5)
    with pytest.raises(ValueError, match="ic"):
        select_order(SIMULATED, 3, ic="fpe")
    # a column vector is accepted as a series
    column = AutoRegressive(lags=2).fit(SIMULATED.reshape(-1, 1))
    assert_rel(column.params_, fitted.params_, rtol=0)


def test_save_load_round_trip(tmp_path):
    model = AutoRegressive(lags=4, trend="ct").fit(SIMULATED)
    path = tmp_path / "ar.npz"
    save_model(model, path)
    loaded = load_model(path)
    assert loaded.get_params() == model.get_params()
    assert_rel(loaded.forecast(12).upper, model.forecast(12).upper, rtol=0)
    assert_rel(loaded.predict(), model.predict(), rtol=0)
    assert_rel(loaded.roots_, model.roots_, rtol=0)


@needs_statsmodels
def test_rank_deficient_series_gives_the_minimum_norm_solution_like_statsmodels():
    y = np.tile([1.0, 2.0], 20)  # y_t = y_{t-2} exactly: constant and lags are collinear
    with pytest.warns(RuntimeWarning, match="collinear"):
        ours = AutoRegressive(lags=2).fit(y)
    with pytest.warns(Warning):
        ref = AutoReg(y, 2, trend="c").fit()
    assert_rel(ours.params_, ref.params, rtol=1e-10)
    assert ours.sigma2_ == pytest.approx(0.0, abs=1e-20)


@pytest.mark.parametrize("trend, method", [("c", "ols"), ("ct", "ols"), ("n", "ols"), ("c", "yule-walker")])
@pytest.mark.parametrize("c", [1e8, 2.0**180, 1e-150])
def test_fit_is_equivariant_at_extreme_scales(trend, method, c):
    """y -> c y: trend terms and residuals scale by c, phi stays, sigma^2 by c^2, llf by -N log c."""
    y = np.cumsum(np.random.default_rng(0).normal(size=80)) + 3
    base = AutoRegressive(lags=2, trend=trend, method=method).fit(y)
    big = AutoRegressive(lags=2, trend=trend, method=method).fit(y * c)
    k = base._k_trend
    np.testing.assert_allclose(big.params_[k:], base.params_[k:], rtol=1e-12)
    np.testing.assert_allclose(big.params_[:k], base.params_[:k] * c, rtol=1e-12)
    np.testing.assert_allclose(big.bse_, base.bse_ * np.r_[np.full(k, c), np.ones(2)], rtol=1e-10)
    assert big.sigma2_ == pytest.approx(base.sigma2_ * c * c, rel=1e-12)
    assert big.llf_ == pytest.approx(base.llf_ - base.nobs_ * np.log(c), rel=1e-12)
    fa, fb = base.forecast(4), big.forecast(4)
    np.testing.assert_allclose(fb.mean, fa.mean * c, rtol=1e-10)
    np.testing.assert_allclose(fb.se, fa.se * c, rtol=1e-10)
    np.testing.assert_allclose(big.predict(), base.predict() * c, rtol=1e-10)


@pytest.mark.parametrize("c", [1e299, 1e-200])
def test_innovation_variance_beyond_float64_is_a_clear_error(c):
    y = np.cumsum(np.random.default_rng(0).normal(size=80)) * c  # sigma^2 overflows / underflows
    with pytest.raises(ValueError, match="innovation variance"):
        AutoRegressive(lags=2).fit(y)
