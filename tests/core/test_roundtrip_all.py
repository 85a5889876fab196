"""Every estimator mlatlas exports survives save_model/load_model with identical outputs."""

import numpy as np
import pytest

from sklearn.base import BaseEstimator

from mlatlas import load_model, save_model
from mlatlas import nn, supervised, timeseries, unsupervised
from mlatlas.generative import boltzmann
from mlatlas.persistence import loadable_names, public_name

rng = np.random.default_rng(0)
X_cls = rng.normal(size=(90, 4))
y_cls = (X_cls[:, 0] + X_cls[:, 1] > 0).astype(int) + (X_cls[:, 2] > 1).astype(int)
X_reg = rng.normal(size=(80, 3))
y_reg = X_reg @ [1.5, -2.0, 0.5] + 0.1 * rng.normal(size=80)
X_cat = np.array([["a", "x"], ["b", "y"], ["a", "y"], ["c", "x"], ["b", "x"], ["c", "y"]] * 5, dtype=object)
y_cat = np.array(["yes", "no", "no", "yes", "yes", "no"] * 5, dtype=object)
X_bin = (rng.random(size=(60, 6)) < 0.3 + 0.4 * (np.arange(6) % 2)).astype(float)
y_bin = X_bin[:, 0].astype(int)

CASES = [
    (supervised.LinearRegression(), X_reg, y_reg, ["predict"]),
    (supervised.LogisticRegression(), X_cls, y_cls, ["predict", "predict_proba"]),
    (supervised.KNeighborsClassifier(n_neighbors=3), X_cls, y_cls, ["predict", "predict_proba"]),
    (supervised.KNeighborsRegressor(n_neighbors=3), X_reg, y_reg, ["predict"]),
    (supervised.DecisionTreeClassifier(max_depth=4), X_cls, y_cls, ["predict", "predict_proba"]),
    (supervised.DecisionTreeRegressor(max_depth=4), X_reg, y_reg, ["predict"]),
    (supervised.ID3Classifier(), X_cat, y_cat, ["predict", "predict_proba"]),
    (supervised.RandomForestClassifier(n_estimators=5, random_state=0), X_cls, y_cls, ["predict", "predict_proba"]),
    (supervised.RandomForestRegressor(n_estimators=5, random_state=0), X_reg, y_reg, ["predict"]),
    (supervised.AdaBoostClassifier(n_estimators=5), X_cls, y_cls, ["predict", "decision_function"]),
    (supervised.SVC(), X_cls, y_cls, ["predict", "decision_function"]),
    (unsupervised.KMeans(n_clusters=3, n_init=2, random_state=0), X_cls, None, ["predict", "transform"]),
    (unsupervised.GaussianMixture(n_components=2, random_state=0), X_cls, None, ["predict_proba", "score_samples"]),
    (unsupervised.DictionaryLearning(n_components=3, max_iter=5, random_state=0), X_reg, None, ["transform"]),
    (unsupervised.SparseCoder(dictionary=np.eye(3)[:2], alpha=0.1), X_reg, None, ["transform"]),
    (nn.MLPClassifier(hidden_layer_sizes=(8,), max_epochs=5, random_state=0), X_cls, y_cls, ["predict_proba"]),
    (nn.MLPRegressor(hidden_layer_sizes=(8,), max_epochs=5, random_state=0), X_reg, y_reg, ["predict"]),
    (boltzmann.RBM(n_components=4, n_iter=3, random_state=0), X_bin, None, ["transform", "free_energy"]),
    (boltzmann.DBN(hidden_layer_sizes=(4, 3), n_iter=3, random_state=0), X_bin, None, ["transform"]),
    (boltzmann.DBNClassifier(hidden_layer_sizes=(4,), rbm_n_iter=2, max_epochs=3, random_state=0), X_bin, y_bin,
     ["predict_proba"]),
    (boltzmann.BoltzmannMachine(n_hidden=2, n_iter=2, random_state=0), X_bin, None, ["log_likelihood"]),
]


def test_every_exported_estimator_is_covered():
    covered = {public_name(type(est)) for est, *_ in CASES} | {"mlatlas.timeseries.AutoRegressive"}
    exported = {name for pkg in (supervised, unsupervised, timeseries, boltzmann) for name in pkg.__all__
                if isinstance(getattr(pkg, name), type)} | {"MLPClassifier", "MLPRegressor"}
    exported -= {"EmptyClusterWarning"}
    assert {name.rsplit(".", 1)[1] for name in covered} == exported
    assert covered == set(loadable_names()), set(loadable_names()) ^ covered


def _assert_same(a, b, where):
    """Equal values of equal types, recursively (arrays bit for bit, NaN equal to NaN).

    NumPy scalars are saved as Python numbers of the same value, so they compare as those.
    """
    if isinstance(a, np.generic) and not isinstance(a, np.ndarray):
        a = a.item()
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        if a.dtype == object:
            for i, (x, y) in enumerate(zip(a.ravel(), b.ravel())):
                _assert_same(x, y, f"{where}[{i}]")
        else:
            np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            _assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, BaseEstimator):
        _assert_same_estimator(a, b, where)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _assert_same_estimator(a, b, where):
    _assert_same(a.get_params(deep=False), b.get_params(deep=False), f"{where}.params")
    fitted = {k: v for k, v in vars(a).items() if k.endswith("_") and not k.startswith("_")}
    restored = {k: v for k, v in vars(b).items() if k.endswith("_") and not k.startswith("_")}
    assert fitted.keys() == restored.keys(), f"{where}: {fitted.keys() ^ restored.keys()}"
    for key in fitted:
        _assert_same(fitted[key], restored[key], f"{where}.{key}")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("estimator, X, y, methods", CASES, ids=[type(c[0]).__name__ for c in CASES])
def test_round_trip(estimator, X, y, methods, tmp_path):
    fitted = estimator.fit(X) if y is None else estimator.fit(X, y)
    path = tmp_path / "model.npz"
    save_model(fitted, path)
    loaded = load_model(path)
    assert type(loaded) is type(fitted)
    assert loaded.get_params().keys() == fitted.get_params().keys()
    _assert_same_estimator(fitted, loaded, type(fitted).__name__)
    for method in methods:
        np.testing.assert_array_equal(getattr(loaded, method)(X), getattr(fitted, method)(X), err_msg=method)


def test_round_trip_autoregressive(tmp_path):
    from mlatlas.datasets import simulate_ar

    y = simulate_ar([0.5, -0.2], 300, random_state=1)
    model = timeseries.AutoRegressive(lags=2).fit(y)
    save_model(model, tmp_path / "ar.npz")
    loaded = load_model(tmp_path / "ar.npz")
    np.testing.assert_array_equal(loaded.params_, model.params_)
    _assert_same_estimator(model, loaded, "AutoRegressive")
    for a, b in zip(loaded.forecast(5), model.forecast(5)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
