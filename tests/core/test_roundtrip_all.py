"""Every estimator mlatlas exports survives save_model/load_model with identical outputs."""

import numpy as np
import pytest

from mlatlas import load_model, save_model
from mlatlas import nn, supervised, timeseries, unsupervised

rng = np.random.default_rng(0)
X_cls = rng.normal(size=(90, 4))
y_cls = (X_cls[:, 0] + X_cls[:, 1] > 0).astype(int) + (X_cls[:, 2] > 1).astype(int)
X_reg = rng.normal(size=(80, 3))
y_reg = X_reg @ [1.5, -2.0, 0.5] + 0.1 * rng.normal(size=80)
X_cat = np.array([["a", "x"], ["b", "y"], ["a", "y"], ["c", "x"], ["b", "x"], ["c", "y"]] * 5, dtype=object)
y_cat = np.array(["yes", "no", "no", "yes", "yes", "no"] * 5, dtype=object)

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
]


def test_every_exported_estimator_is_covered():
    covered = {type(est).__name__ for est, *_ in CASES} | {"AutoRegressive"}
    exported = {name for pkg in (supervised, unsupervised, timeseries) for name in pkg.__all__
                if isinstance(getattr(pkg, name), type)} | {"MLPClassifier", "MLPRegressor"}
    exported -= {"EmptyClusterWarning"}
    assert exported <= covered, exported - covered


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("estimator, X, y, methods", CASES, ids=[type(c[0]).__name__ for c in CASES])
def test_round_trip(estimator, X, y, methods, tmp_path):
    fitted = estimator.fit(X) if y is None else estimator.fit(X, y)
    path = tmp_path / "model.npz"
    save_model(fitted, path)
    loaded = load_model(path)
    assert type(loaded) is type(fitted)
    assert loaded.get_params().keys() == fitted.get_params().keys()
    for method in methods:
        np.testing.assert_array_equal(getattr(loaded, method)(X), getattr(fitted, method)(X), err_msg=method)


def test_round_trip_autoregressive(tmp_path):
    from mlatlas.datasets import simulate_ar

    y = simulate_ar([0.5, -0.2], 300, random_state=1)
    model = timeseries.AutoRegressive(lags=2).fit(y)
    save_model(model, tmp_path / "ar.npz")
    loaded = load_model(tmp_path / "ar.npz")
    np.testing.assert_array_equal(loaded.params_, model.params_)
    for a, b in zip(loaded.forecast(5), model.forecast(5)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
