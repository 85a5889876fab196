"""Tests for the linear models: LinearRegression (linear_regression.py) and LogisticRegression
(logistic_regression.py).

Parity with scikit-learn (OLS coefficients to 1e-8 relative; logistic coefficients to
1e-5 once both have converged), hand-computed cases, gradient/Hessian checks against
finite differences, invariants, the estimator contract and save/load.
"""

import warnings

import numpy as np
import pytest
from sklearn import linear_model as sk
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from mlatlas.base import ConvergenceWarning
from mlatlas.persistence import load_model, save_model
from mlatlas.supervised.linear_regression import LinearRegression
from mlatlas.supervised.logistic_regression import LogisticRegression, _LogisticObjective


def _standardized(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


DATA = {
    "breast_cancer": _standardized(load_breast_cancer),  # binary
    "iris": _standardized(load_iris),  # 3 classes
    "wine": _standardized(load_wine),  # 3 classes
}


def _assert_close_to(ours, ref, tol):
    """max |ours - ref| <= tol * max(1, max|ref|)."""
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape
    scale = max(1.0, float(np.max(np.abs(ref))))
    err = float(np.max(np.abs(ours - ref)))
    assert err <= tol * scale, f"max difference {err:.3g} > {tol * scale:.3g}"


# ---------------------------------------------------------------------------
# LinearRegression
# ---------------------------------------------------------------------------


def test_linear_exact_fit_by_hand():
    # y = 1 + 2 x1 - x2 exactly: least squares recovers it.
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 3.0], [-1.0, 2.0]])
    y = 1.0 + 2.0 * X[:, 0] - X[:, 1]
    for solver in ("lstsq", "gd"):
        model = LinearRegression(solver=solver, tol=1e-12, max_iter=20000).fit(X, y)
        np.testing.assert_allclose(model.coef_, [2.0, -1.0], atol=1e-8)
        assert model.intercept_ == pytest.approx(1.0, abs=1e-8)
        np.testing.assert_allclose(model.predict([[10.0, 5.0]]), [16.0], atol=1e-7)


def test_linear_two_points_line():
    # Two points fix the line: slope (5 - 1) / (3 - 1) = 2, intercept 1 - 2 * 1 = -1.
    model = LinearRegression().fit([[1.0], [3.0]], [1.0, 5.0])
    assert model.coef_[0] == pytest.approx(2.0)
    assert model.intercept_ == pytest.approx(-1.0)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_linear_parity_with_sklearn(fit_intercept, weighted, rng):
    X, y = load_diabetes(return_X_y=True)
    sw = rng.uniform(0.1, 3.0, size=len(y)) if weighted else None
    ours = LinearRegression(fit_intercept=fit_intercept).fit(X, y, sample_weight=sw)
    ref = sk.LinearRegression(fit_intercept=fit_intercept).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-8)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-8)


def test_linear_parity_many_features_multioutput(rng):
    X = rng.normal(size=(300, 40))
    Y = X @ rng.normal(size=(40, 3)) + rng.normal(size=3) + rng.normal(size=(300, 3))
    ours = LinearRegression().fit(X, Y)
    ref = sk.LinearRegression().fit(X, Y)
    assert ours.coef_.shape == (3, 40) and ours.intercept_.shape == (3,)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-8)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-8)


def test_linear_rank_deficient_matches_minimum_norm():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    X = np.column_stack([X, X[:, 0] + X[:, 1]])  # column 4 = column 1 + column 2
    y = X[:, :3] @ [1.0, -2.0, 0.5] + 0.1 * rng.normal(size=50)
    ours = LinearRegression().fit(X, y)
    ref = sk.LinearRegression().fit(X, y)
    assert ours.rank_ == 3
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-8, atol=1e-10)


def test_linear_integer_weights_equal_repetition(rng):
    X = rng.normal(size=(30, 4))
    y = X @ [1.0, 2.0, 3.0, 4.0] + rng.normal(size=30)
    counts = rng.integers(0, 4, size=30)
    weighted = LinearRegression().fit(X, y, sample_weight=counts)
    repeated = LinearRegression().fit(np.repeat(X, counts, axis=0), np.repeat(y, counts))
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-10)
    assert weighted.intercept_ == pytest.approx(repeated.intercept_, rel=1e-10)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_linear_gd_converges_to_lstsq(fit_intercept, rng):
    X = rng.normal(size=(500, 20)) + 3.0  # offset columns: centring must handle them
    y = X @ rng.uniform(-3, 3, size=20) + 7.0 + rng.normal(size=500)
    sw = rng.uniform(0.5, 2.0, size=500)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        gd = LinearRegression(solver="gd", fit_intercept=fit_intercept, tol=1e-10,
                              max_iter=20000).fit(X, y, sample_weight=sw)
    exact = LinearRegression(fit_intercept=fit_intercept).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(gd.coef_, exact.coef_, rtol=1e-6, atol=1e-8)
    assert gd.intercept_ == pytest.approx(exact.intercept_, rel=1e-6, abs=1e-8)
    # the loss recorded every epoch never goes up with the step 1/L
    loss = gd.history_.column("loss")
    assert len(loss) == gd.n_iter_ + 1 > 1
    assert np.all(np.diff(loss) <= 1e-12 * loss[0])
    assert loss[-1] < loss[0]
    # and it ends at the least-squares optimum
    r = y - exact.predict(X)
    assert loss[-1] == pytest.approx(0.5 * np.sum(sw * r * r) / sw.sum(), rel=1e-9)


def test_linear_gd_on_diabetes_close_to_sklearn():
    X, y = load_diabetes(return_X_y=True)
    gd = LinearRegression(solver="gd", tol=1e-9, max_iter=200000).fit(X, y)
    ref = sk.LinearRegression().fit(X, y)
    # diabetes is ill-conditioned (condition number ~ 1e2 in X, ~1e4 in X^T X)
    np.testing.assert_allclose(gd.predict(X), ref.predict(X), rtol=1e-4)


def test_linear_gd_warns_and_diverges_clearly(rng):
    X = rng.normal(size=(100, 3))
    y = X @ [1.0, 2.0, 3.0]
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        LinearRegression(solver="gd", max_iter=3).fit(X, y)
    with pytest.raises(ValueError, match="learning_rate=1e\\+03 is too large"):
        LinearRegression(solver="gd", learning_rate=1e3, max_iter=5000).fit(X, y)
    with pytest.raises(ValueError, match="learning_rate=1e\\+03 is too large"):
        LogisticRegression(solver="gd", learning_rate=1e3, max_iter=5000).fit(X, y > 0)


def test_linear_lstsq_has_empty_history():
    model = LinearRegression().fit([[0.0], [1.0], [2.0]], [0.0, 1.0, 2.0])
    assert len(model.history_) == 0 and model.n_iter_ == 1


@pytest.mark.parametrize("params, match", [
    ({"solver": "sgd"}, "solver"),
    ({"fit_intercept": "yes"}, "fit_intercept"),
    ({"max_iter": 0}, "max_iter"),
    ({"max_iter": 2.5}, "max_iter"),
    ({"tol": -1.0}, "tol"),
    ({"learning_rate": 0.0}, "learning_rate"),
    ({"learning_rate": "fast"}, "learning_rate"),
])
def test_linear_bad_params(params, match):
    with pytest.raises((ValueError, TypeError), match=match):
        LinearRegression(**params).fit([[0.0], [1.0]], [0.0, 1.0])


def test_linear_bad_sample_weight():
    X, y = [[0.0], [1.0], [2.0]], [0.0, 1.0, 2.0]
    with pytest.raises(ValueError, match="sample_weight.*non-negative"):
        LinearRegression().fit(X, y, sample_weight=[1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(3,\)"):
        LinearRegression().fit(X, y, sample_weight=[1.0, 1.0])


# ---------------------------------------------------------------------------
# LogisticRegression: hand-computed cases and derivative checks
# ---------------------------------------------------------------------------


def test_logistic_objective_at_zero_is_log_k():
    # With W = 0 and b = 0 every class has probability 1/K: mean log-loss = log K.
    X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, -1.0], [2.0, 2.0]])
    for y, k in (([0, 1, 1, 0], 2), ([0, 1, 2, 1], 3)):
        obj = _LogisticObjective(X, np.array(y), k, np.ones(4), 1.0, True)
        loss, grad = obj.loss_gradient(np.zeros(obj.size))
        assert loss == pytest.approx(np.log(k))
    # binary, by hand: grad_w = mean((sigma(0) - y) x) = mean((0.5 - y) x)
    obj = _LogisticObjective(X, np.array([0, 1, 1, 0]), 2, np.ones(4), 1.0, True)
    _, grad = obj.loss_gradient(np.zeros(3))
    y = np.array([0, 1, 1, 0])
    np.testing.assert_allclose(grad, [np.mean((0.5 - y) * X[:, 0]), np.mean((0.5 - y) * X[:, 1]),
                                      np.mean(0.5 - y)])


def test_logistic_sigmoid_probability_by_hand():
    # A model with w = 2, b = -1: P(y=1 | x=1) = sigma(1) = 1 / (1 + e^-1).
    model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    model.coef_, model.intercept_ = np.array([[2.0]]), np.array([-1.0])
    p = model.predict_proba([[1.0], [0.5]])
    np.testing.assert_allclose(p[:, 1], [1.0 / (1.0 + np.exp(-1.0)), 0.5])
    assert model.predict([[0.4], [0.6]]).tolist() == [0, 1]


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_logistic_gradient_and_hessian_match_finite_differences(n_classes, fit_intercept, rng):
    X = rng.normal(size=(40, 3))
    y = rng.integers(0, n_classes, size=40)
    sw = rng.uniform(0.2, 2.0, size=40)
    obj = _LogisticObjective(X, y, n_classes, sw, 0.7, fit_intercept)
    theta = rng.normal(size=obj.size) * 0.5
    loss, grad = obj.loss_gradient(theta)
    H = obj.hessian(theta)
    h = 1e-6
    num_grad = np.empty(obj.size)
    num_hess = np.empty((obj.size, obj.size))
    for i in range(obj.size):
        e = np.zeros(obj.size)
        e[i] = h
        lp, gp = obj.loss_gradient(theta + e)
        lm, gm = obj.loss_gradient(theta - e)
        num_grad[i] = (lp - lm) / (2 * h)
        num_hess[:, i] = (gp - gm) / (2 * h)
    np.testing.assert_allclose(grad, num_grad, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(H, num_hess, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(H, H.T)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_logistic_blocks_and_threads_give_the_plain_sums(n_classes, rng, monkeypatch):
    # 3 blocks of rows on several threads; the sums must be the plain ones over all rows,
    # and bit for bit the same on one thread
    from scipy.special import logsumexp as lse

    from mlatlas.supervised import logistic_regression

    n = 3 * logistic_regression._BLOCK_ROWS + 17
    X = rng.normal(size=(n, 4))
    y = rng.integers(0, n_classes, size=n)
    sw = rng.uniform(0.2, 2.0, size=n)
    obj = _LogisticObjective(X, y, n_classes, sw, 0.7, True)
    assert len(obj.blocks) == 3 and obj.blocks[-1][1] == n
    theta = rng.normal(size=obj.size)
    loss, grad = obj.loss_gradient(theta)

    M = theta.reshape(-1, 5)
    W, b = M[:, :4], M[:, 4]
    Z = X @ W.T + b  # (n, K) or (n, 1)
    if n_classes == 2:
        Z = np.column_stack([np.zeros(n), Z[:, 0]])  # the binary model is softmax([0, z])
    P = np.exp(Z - lse(Z, axis=1, keepdims=True))
    Y = np.eye(Z.shape[1])[y]
    w = sw / sw.sum()
    # J / (C S) = sum_i (s_i / S) (logsumexp(z_i) - z_{i, y_i}) + ||W||^2 / (2 C S)
    expected_loss = w @ (lse(Z, axis=1) - Z[np.arange(n), y]) + 0.5 / (0.7 * sw.sum()) * np.sum(W * W)
    R = (P - Y) * w[:, None]
    if n_classes == 2:
        R = R[:, 1:]
    expected_grad = np.column_stack([R.T @ X + W / (0.7 * sw.sum()), R.sum(axis=0)]).ravel()
    assert loss == pytest.approx(expected_loss, rel=1e-13)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-11, atol=1e-15)

    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # parallel_map then runs the blocks in order
    loss_1, grad_1 = obj.loss_gradient(theta)
    assert loss_1 == loss
    np.testing.assert_array_equal(grad_1, grad)


def test_logistic_loss_is_stable_for_huge_scores():
    X = np.array([[1.0], [-1.0]])
    obj = _LogisticObjective(X, np.array([1, 0]), 2, np.ones(2), 1.0, False)
    loss, grad = obj.loss_gradient(np.array([1000.0]))  # z = +-1000, both correct
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    # only the penalty ||w||^2 / (2 C S) is left, with C = 1 and S = 2
    assert loss == pytest.approx(1000.0 ** 2 / 4)
    loss, _ = obj.loss_gradient(np.array([-1000.0]))  # both wrong: log-loss ~ 1000 each
    assert loss == pytest.approx(1000.0 + 1000.0 ** 2 / 4)


# ---------------------------------------------------------------------------
# LogisticRegression: parity with scikit-learn
# ---------------------------------------------------------------------------


def _both(name, C, solver, tol=1e-10, max_iter=10000, sample_weight=None, fit_intercept=True):
    X, y = DATA[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # "when both converge"
        ours = LogisticRegression(C=C, solver=solver, tol=tol, max_iter=max_iter,
                                  fit_intercept=fit_intercept)
        ours.fit(X, y, sample_weight=sample_weight)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # sklearn stops on ftol at 1e-10
        ref = sk.LogisticRegression(C=C, tol=1e-10, max_iter=10000, fit_intercept=fit_intercept)
        ref.fit(X, y, sample_weight=sample_weight)
    return ours, ref, X


@pytest.mark.parametrize("solver", ["lbfgs", "newton"])
@pytest.mark.parametrize("C", [0.05, 1.0, 10.0])
@pytest.mark.parametrize("name", ["breast_cancer", "iris", "wine"])
def test_logistic_parity_with_sklearn(name, C, solver):
    # measured: coefficients and intercepts within 2.6e-6, probabilities within 1.5e-6
    # (scikit-learn stops on its ftol before tol=1e-10)
    ours, ref, X = _both(name, C, solver)
    assert ours.coef_.shape == ref.coef_.shape and ours.intercept_.shape == ref.intercept_.shape
    _assert_close_to(ours.coef_, ref.coef_, 1e-5)
    _assert_close_to(ours.intercept_, ref.intercept_, 1e-5)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-5)
    assert np.array_equal(ours.predict(X), ref.predict(X))


@pytest.mark.parametrize("name, C", [("breast_cancer", 0.1), ("iris", 0.1), ("iris", 1.0),
                                     ("wine", 0.1)])
def test_logistic_gd_parity_with_sklearn(name, C):
    ours, ref, X = _both(name, C, "gd", tol=1e-8, max_iter=50000)
    _assert_close_to(ours.coef_, ref.coef_, 5e-6)  # measured 6.4e-7
    _assert_close_to(ours.intercept_, ref.intercept_, 5e-6)  # measured 7.2e-7


@pytest.mark.parametrize("name", ["breast_cancer", "wine"])
def test_logistic_parity_sample_weight_and_no_intercept(name, rng):
    X, y = DATA[name]
    sw = rng.uniform(0.0, 3.0, size=len(y))
    for solver in ("lbfgs", "newton"):  # measured within 1.3e-6
        ours, ref, _ = _both(name, 0.5, solver, sample_weight=sw)
        _assert_close_to(ours.coef_, ref.coef_, 1e-5)
        _assert_close_to(ours.intercept_, ref.intercept_, 1e-5)
        ours, ref, _ = _both(name, 0.5, solver, fit_intercept=False)
        _assert_close_to(ours.coef_, ref.coef_, 1e-5)
        assert np.all(ours.intercept_ == 0.0)


def test_logistic_default_parameters_match_sklearn_defaults():
    X, y = DATA["breast_cancer"]
    ours = LogisticRegression().fit(X, y)
    ref = sk.LogisticRegression().fit(X, y)
    assert np.array_equal(ours.predict(X), ref.predict(X))
    _assert_close_to(ours.coef_, ref.coef_, 1e-2)  # both stop at the loose default tol=1e-4 (measured 6e-3)


def test_logistic_string_labels_and_shapes():
    X, y = DATA["iris"]
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    model = LogisticRegression(max_iter=500).fit(X, names)
    assert model.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    assert model.decision_function(X).shape == (150, 3)
    assert set(model.predict(X)) <= set(names)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(model.predict_log_proba(X), np.log(proba), atol=1e-12)
    # binary: 1-D decision function, coef_ of shape (1, p)
    Xb, yb = DATA["breast_cancer"]
    model = LogisticRegression(max_iter=500).fit(Xb, np.where(yb == 1, "yes", "no"))
    assert model.coef_.shape == (1, 30) and model.intercept_.shape == (1,)
    z = model.decision_function(Xb)
    assert z.shape == (len(yb),)
    assert np.array_equal(model.predict(Xb), np.where(z > 0, "yes", "no"))
    np.testing.assert_allclose(model.predict_log_proba(Xb), np.log(model.predict_proba(Xb)),
                               atol=1e-12)


def test_logistic_integer_weights_equal_repetition(rng):
    X, y = DATA["wine"]
    counts = rng.integers(0, 3, size=len(y))
    kw = dict(C=0.5, tol=1e-10, max_iter=5000)
    weighted = LogisticRegression(**kw).fit(X, y, sample_weight=counts)
    repeated = LogisticRegression(**kw).fit(np.repeat(X, counts, axis=0), np.repeat(y, counts))
    _assert_close_to(weighted.coef_, repeated.coef_, 1e-6)


# ---------------------------------------------------------------------------
# LogisticRegression: histories, warnings, errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["lbfgs", "newton", "gd"])
@pytest.mark.parametrize("name", ["breast_cancer", "iris"])
def test_logistic_history_decreases(solver, name):
    X, y = DATA[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LogisticRegression(C=1.0, solver=solver, max_iter=200, tol=1e-8).fit(X, y)
    objective = model.history_.column("objective")
    assert len(objective) >= 2
    assert np.all(np.diff(objective) <= 1e-12)
    assert objective[-1] < objective[0]
    assert model.history_[0]["iteration"] == 0
    assert model.history_.column("grad_max")[-1] < model.history_.column("grad_max")[0]


def test_logistic_newton_converges_in_few_iterations():
    X, y = DATA["wine"]
    model = LogisticRegression(solver="newton", tol=1e-10, max_iter=50).fit(X, y)
    assert model.n_iter_ <= 15
    assert model.history_[-1]["grad_max"] <= 1e-10


@pytest.mark.parametrize("solver", ["lbfgs", "newton", "gd"])
def test_logistic_warns_when_not_converged(solver):
    X, y = DATA["breast_cancer"]
    with pytest.warns(ConvergenceWarning, match="LogisticRegression did not converge"):
        LogisticRegression(solver=solver, max_iter=1, tol=1e-12).fit(X, y)


@pytest.mark.parametrize("params, match", [
    ({"C": 0.0}, "C must be a real number > 0 or inf; got 0.0"),
    ({"C": -1.0}, "C must be a real number > 0 or inf; got -1.0"),
    ({"C": float("nan")}, "C must be a real number > 0 or inf; got nan"),
    ({"C": "big"}, "C must be a real number"),
    ({"solver": "sag"}, "solver must be one of 'lbfgs', 'newton', 'gd'"),
    ({"fit_intercept": 1}, "fit_intercept"),
    ({"max_iter": 0}, "max_iter must be an int >= 1; got 0"),
    ({"tol": -1e-3}, "tol must be a finite real number >= 0"),
    ({"tol": float("nan")}, "tol must be a finite real number >= 0; got nan"),
    ({"learning_rate": -0.1}, "learning_rate must be a finite real number > 0, or None"),
])
def test_logistic_bad_params(params, match):
    with pytest.raises((ValueError, TypeError), match=match):
        LogisticRegression(**params).fit([[0.0], [1.0]], [0, 1])


def test_logistic_one_class_and_bad_targets():
    with pytest.raises(ValueError, match="at least 2 classes in y; got one class"):
        LogisticRegression().fit([[0.0], [1.0]], [1, 1])
    with pytest.raises(ValueError, match="Unknown label type"):
        LogisticRegression().fit([[0.0], [1.0], [2.0]], [0.1, 0.7, 0.3])
    with pytest.raises(ValueError, match="sample_weight"):
        LogisticRegression().fit([[0.0], [1.0]], [0, 1], sample_weight=[1.0, -2.0])


# ---------------------------------------------------------------------------
# Estimator contract and persistence
# ---------------------------------------------------------------------------


@parametrize_with_checks([LinearRegression(), LinearRegression(solver="gd"),
                          LogisticRegression(), LogisticRegression(solver="newton")])
def test_sklearn_contract(estimator, check):
    check(estimator)


@pytest.mark.parametrize("make", [
    lambda: (LinearRegression(), load_diabetes(return_X_y=True)),
    lambda: (LinearRegression(solver="gd", max_iter=50), load_diabetes(return_X_y=True)),
    lambda: (LogisticRegression(max_iter=500), DATA["breast_cancer"]),
    lambda: (LogisticRegression(solver="newton"), DATA["wine"]),
])
def test_save_load_round_trip(make, tmp_path):
    model, (X, y) = make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    path = tmp_path / "model.npz"
    save_model(model, path)
    loaded = load_model(path)
    assert type(loaded) is type(model)
    assert loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded.coef_, model.coef_)
    if hasattr(model, "predict_proba"):
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert [dict(r) for r in loaded.history_] == [dict(r) for r in model.history_]


# ---------------------------------------------------------------------------
# Registry entries (linear family): runs, comparisons and figures
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name, dataset, stems", [
    ("linear-regression", None, ("regression-line", "gradient-descent")),
    ("logistic-regression", "iris", ("moons-boundary", "solvers")),
])
def test_registry_entry_runs_and_draws(name, dataset, stems, tmp_path):
    from mlatlas.atlas import get, run_entry

    entry = get(name)
    result = run_entry(entry, dataset=dataset, params=dict(entry.demo_params),
                       out_dir=str(tmp_path))
    assert (tmp_path / "record.json").exists()
    for stem in stems:
        assert (tmp_path / f"{stem}.png").stat().st_size > 0
    if name == "linear-regression":
        assert result.comparison["max_coef_difference_relative"] < 1e-8
    else:
        assert result.comparison["max_coef_difference"] < 1e-3
        assert result.comparison["prediction_agreement"] == 1.0


# ---------------------------------------------------------------------------
# Magnitudes: least squares on X / a and y / c
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("x_exp, y_exp", [(600, 0), (0, 600), (-600, 0), (300, -300), (1000, 1000)])
def test_lstsq_power_of_two_scales_are_exact(x_exp, y_exp):
    # X * 2^i, y * 2^j: the slope is 2^(j - i) times the slope on X, y, bit for bit
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = X @ np.array([1.0, 2.0, -1.0]) + 3.0 + 0.1 * rng.normal(size=40)
    a, c = 2.0**x_exp, 2.0**y_exp
    base = LinearRegression().fit(X, y)
    scaled = LinearRegression().fit(X * a, y * c)
    np.testing.assert_array_equal(scaled.coef_, base.coef_ * (c / a))
    assert scaled.intercept_ == base.intercept_ * c
    np.testing.assert_array_equal(scaled.predict(X * a), base.predict(X) * c)


def test_lstsq_near_the_float64_limit_is_finite_and_quiet(capfd):
    # centring 1e307-sized columns used to overflow and send inf to LAPACK (which
    # printed to stderr and raised LinAlgError)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = X @ np.array([1.0, 2.0, -1.0]) + 3.0
    model = LinearRegression().fit(X * 1e307, y)
    np.testing.assert_allclose(model.coef_ * 1e307, [1.0, 2.0, -1.0], rtol=1e-12)
    np.testing.assert_allclose(model.predict(X * 1e307), y, rtol=1e-12, atol=1e-12)
    assert capfd.readouterr().err == ""
    with pytest.raises(ValueError, match="X is too large for solver='gd'"):
        LinearRegression(solver="gd").fit(X * 1e200, y)
    # slopes of 1e-360 have no float64 value: an error, not silent zeros
    with pytest.raises(ValueError, match="coefficients are beyond the float64 range: y is too small"):
        LinearRegression().fit(X * 1e200, y * 1e-160)
