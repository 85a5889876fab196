"""AdaBoost / SAMME: a worked example by hand, the two-class identities, parity with scikit-learn."""

import numpy as np
import pytest
from sklearn.ensemble import AdaBoostClassifier as SkAdaBoost
from sklearn.tree import DecisionTreeClassifier as SkTree
from sklearn.utils.estimator_checks import parametrize_with_checks

from mlatlas.datasets import load
from mlatlas.persistence import load_model, save_model
from mlatlas.supervised.boosting import AdaBoostClassifier

# Ten points on a line (Li Hang, "Statistical Learning Methods", example 8.1).
X_LINE = np.arange(10.0).reshape(-1, 1)
Y_LINE = np.array([1, 1, 1, -1, -1, -1, 1, 1, 1, -1])


def test_ten_point_example_by_hand():
    boost = AdaBoostClassifier(n_estimators=3).fit(X_LINE, Y_LINE)
    # round 1: x < 2.5 -> +1 misses x = 6, 7, 8: eps = 3/10
    # round 2 (mistakes now weigh 1/6, the rest 1/14): x < 8.5 -> +1 misses 3, 4, 5: eps = 3/14
    # round 3 (weights now 1/22 for 0, 1, 2, 9; 1/6 for 3, 4, 5; 7/66 for 6, 7, 8):
    #   x > 5.5 -> +1 misses 0, 1, 2, 9: eps = 4/22 = 2/11
    thresholds = [s.threshold_[0] for s in boost.estimators_]
    assert thresholds == [2.5, 8.5, 5.5]
    np.testing.assert_allclose(boost.estimator_errors_, [3 / 10, 3 / 14, 2 / 11], atol=1e-12)
    alphas = [0.5 * np.log((1 - e) / e) for e in (3 / 10, 3 / 14, 2 / 11)]
    np.testing.assert_allclose(boost.alphas_, alphas, atol=1e-12)
    np.testing.assert_allclose(boost.alphas_, [0.4236, 0.6496, 0.7520], atol=1e-4)
    np.testing.assert_allclose(boost.history_.column("alpha"), alphas, atol=1e-12)
    # scikit-learn's SAMME weight ln((1 - eps) / eps) has no factor 1/2
    np.testing.assert_allclose(boost.estimator_weights_, 2 * np.array(alphas), atol=1e-12)
    w2 = boost.history_[1]["sample_weight"]
    np.testing.assert_allclose(w2, np.where(np.isin(np.arange(10), [6, 7, 8]), 1 / 6, 1 / 14), atol=1e-12)
    # the three stumps together make no mistake; staged: 3, 3, 0 mistakes
    assert boost.score(X_LINE, Y_LINE) == 1.0
    staged_errors = [int(np.sum(p != Y_LINE)) for p in boost.staged_predict(X_LINE)]
    assert staged_errors == [3, 3, 0]
    assert boost.history_.column("train_error").tolist() == [0.3, 0.3, 0.0]


def test_two_class_identities():
    d = load("breast_cancer")
    boost = AdaBoostClassifier(n_estimators=15, random_state=0).fit(d.X, d.y)
    y_pm = np.where(d.y == boost.classes_[1], 1, -1)
    for t, row in enumerate(boost.history_):
        eps, alpha, w = row["error"], row["alpha"], row["sample_weight"]
        assert w.sum() == pytest.approx(1.0)
        assert alpha == pytest.approx(0.5 * np.log((1 - eps) / eps))
        # Z_t = sum_i w_i exp(-alpha y_i h(x_i)) = 2 sqrt(eps (1 - eps))
        assert row["Z"] == pytest.approx(2 * np.sqrt(eps * (1 - eps)))
        h = np.where(boost.estimators_[t].predict(d.X) == 1, 1, -1)
        if t + 1 < len(boost.history_):
            w_next = boost.history_[t + 1]["sample_weight"]
            np.testing.assert_allclose(w_next, w * np.exp(-alpha * y_pm * h) / row["Z"], rtol=1e-10)
            # after the update the stump just used is a coin flip: weighted error 1/2
            assert np.dot(w_next, h != y_pm) == pytest.approx(0.5)
    # H(x) = sign(sum_t alpha_t h_t(x)) is the prediction; the decision function is its scaled version
    F = sum(a * np.where(s.predict(d.X) == 1, 1, -1) for a, s in zip(boost.alphas_, boost.estimators_))
    np.testing.assert_array_equal(boost.predict(d.X), boost.classes_[(F > 0).astype(int)])
    np.testing.assert_allclose(boost.decision_function(d.X), 2 * F / boost.alphas_.sum())


@pytest.mark.parametrize("name, learning_rate", [("breast_cancer", 1.0), ("wine", 1.0), ("digits", 1.0),
                                                 ("breast_cancer", 0.5), ("digits", 0.3)])
def test_same_stumps_weights_and_errors_as_sklearn(name, learning_rate):
    d = load(name)
    ours = AdaBoostClassifier(n_estimators=50, learning_rate=learning_rate, random_state=0).fit(d.X, d.y)
    ref = SkAdaBoost(SkTree(max_depth=1), n_estimators=50, learning_rate=learning_rate,
                     random_state=0).fit(d.X, d.y)
    m = len(ours.estimators_)
    assert m == len(ref.estimators_) == 50
    for a, b in zip(ours.estimators_, ref.estimators_):
        assert a.feature_[0] == b.tree_.feature[0]
        assert a.threshold_[0] == pytest.approx(b.tree_.threshold[0], abs=1e-6)
    np.testing.assert_allclose(ours.estimator_errors_, ref.estimator_errors_[:m], rtol=1e-9, atol=1e-12)
    # the same SAMME weights as scikit-learn; the notes' alpha is half of them
    np.testing.assert_allclose(ours.estimator_weights_, ref.estimator_weights_[:m], rtol=1e-9)
    np.testing.assert_allclose(2 * ours.alphas_, ref.estimator_weights_[:m], rtol=1e-9)
    np.testing.assert_allclose(ours.decision_function(d.X), ref.decision_function(d.X), atol=1e-10)
    np.testing.assert_allclose(ours.predict_proba(d.X), ref.predict_proba(d.X), atol=1e-10)
    np.testing.assert_array_equal(ours.predict(d.X), ref.predict(d.X))
    for k, (p, q) in enumerate(zip(ours.staged_predict(d.X), ref.staged_predict(d.X))):
        if k % 10 == 0:
            np.testing.assert_array_equal(p, q)
    np.testing.assert_allclose(ours.feature_importances_, ref.feature_importances_, atol=1e-10)


def test_weights_equal_repetitions_where_stumps_are_unique():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    y[rng.random(200) < 0.1] ^= 1
    sw = rng.integers(0, 4, 200)
    a = AdaBoostClassifier(n_estimators=20, random_state=0).fit(X, y, sample_weight=sw)
    b = AdaBoostClassifier(n_estimators=20, random_state=0).fit(np.repeat(X, sw, 0), np.repeat(y, sw))
    np.testing.assert_allclose(a.estimator_weights_, b.estimator_weights_, rtol=1e-10)
    np.testing.assert_allclose(a.alphas_, b.alphas_, rtol=1e-10)
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-12)


def test_perfect_stump_stops_and_chance_stump_fails():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    boost = AdaBoostClassifier(n_estimators=10).fit(X, ["a", "a", "b", "b"])
    assert len(boost.estimators_) == 1 and boost.estimator_errors_.tolist() == [0.0]
    ref = SkAdaBoost(SkTree(max_depth=1), n_estimators=10).fit(X, ["a", "a", "b", "b"])
    assert boost.estimator_weights_.tolist() == ref.estimator_weights_[:1].tolist() == [1.0]
    assert boost.alphas_.tolist() == [0.5]
    assert boost.predict([[0.2], [2.7]]).tolist() == ["a", "b"]
    # a constant feature: the best stump is one leaf, no better than chance
    with pytest.raises(ValueError, match="no better than chance"):
        AdaBoostClassifier().fit(np.zeros((6, 1)), [0, 1, 0, 1, 0, 1])
    with pytest.raises(ValueError, match="learning_rate"):
        AdaBoostClassifier(learning_rate=0.0).fit(X, [0, 0, 1, 1])


def test_history_and_staged_outputs():
    d = load("wine")
    boost = AdaBoostClassifier(n_estimators=12, random_state=0).fit(d.X, d.y)
    assert len(boost.history_) == len(boost.estimators_) == 12
    assert set(boost.history_[0]) >= {"round", "error", "alpha", "Z", "train_error", "sample_weight"}
    np.testing.assert_allclose(boost.history_[0]["sample_weight"], 1 / len(d.y))
    stages = list(boost.staged_predict_proba(d.X))
    assert len(stages) == 12
    np.testing.assert_allclose(stages[-1], boost.predict_proba(d.X))
    scores = list(boost.staged_score(d.X, d.y))
    assert scores[-1] == pytest.approx(boost.score(d.X, d.y))
    assert 1 - scores[5] == pytest.approx(boost.history_[5]["train_error"])


def test_save_load_round_trip(tmp_path):
    d = load("digits")
    boost = AdaBoostClassifier(n_estimators=10, random_state=0).fit(d.X, d.y)
    save_model(boost, tmp_path / "boost.npz")
    back = load_model(tmp_path / "boost.npz")
    np.testing.assert_array_equal(back.predict(d.X), boost.predict(d.X))
    np.testing.assert_allclose(back.predict_proba(d.X), boost.predict_proba(d.X))
    np.testing.assert_allclose(back.history_[3]["sample_weight"], boost.history_[3]["sample_weight"])


_TIES = ("the check's data (15 rows, 30 features) has many equally good stumps; rounding in the "
         "weighted sums breaks those ties differently for weights and repetitions "
         "(test_weights_equal_repetitions_where_stumps_are_unique checks the property)")


@parametrize_with_checks(
    [AdaBoostClassifier(n_estimators=10, random_state=0)],
    expected_failed_checks=lambda est: {"check_sample_weight_equivalence_on_dense_data": _TIES},
)
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_atlas_entry_runs_and_draws(tmp_path):
    from mlatlas.atlas import registry
    from mlatlas.atlas.runner import run_entry

    result = run_entry(registry.get("adaboost"), dataset="wine", out_dir=str(tmp_path))
    assert result.comparison["prediction_agreement"] == 1.0
    assert result.comparison["same_stumps"] == result.comparison["stumps_compared"] == 50
    assert result.comparison["max_error_difference"] < 1e-12
    assert result.comparison["max_normalised_weight_difference"] < 1e-9
    assert len(result.figures) == 2
