"""Random forests: parity with scikit-learn on accuracy / R^2 / OOB, bagging invariants."""

import numpy as np
import pytest
from sklearn import ensemble
from sklearn.datasets import make_friedman1
from sklearn.model_selection import train_test_split
from sklearn.utils.estimator_checks import parametrize_with_checks

from mlatlas.datasets import load
from mlatlas.persistence import load_model, save_model
from mlatlas.supervised.forest import RandomForestClassifier, RandomForestRegressor, _bootstrap_counts
from mlatlas.supervised.tree import DecisionTreeClassifier, DecisionTreeRegressor

SEEDS = (0, 1, 2, 3)


def _split(name, seed):
    d = load(name)
    stratify = d.y if d.task == "classification" else None
    return train_test_split(d.X, d.y, test_size=0.3, random_state=seed, stratify=stratify)


@pytest.mark.parametrize("name", ["iris", "breast_cancer", "wine", "digits"])
def test_classifier_accuracy_within_two_points_of_sklearn(name):
    ours, ref, oob_ours, oob_ref = [], [], [], []
    for seed in SEEDS:
        X_tr, X_te, y_tr, y_te = _split(name, seed)
        a = RandomForestClassifier(n_estimators=100, oob_score=True, random_state=seed).fit(X_tr, y_tr)
        b = ensemble.RandomForestClassifier(n_estimators=100, oob_score=True, random_state=seed).fit(X_tr, y_tr)
        ours.append(a.score(X_te, y_te))
        ref.append(b.score(X_te, y_te))
        oob_ours.append(a.oob_score_)
        oob_ref.append(b.oob_score_)
    # mean test accuracy over the seeds within 2 points; no single seed off by more than 5
    assert abs(np.mean(ours) - np.mean(ref)) <= 0.02, (ours, ref)
    assert np.max(np.abs(np.subtract(ours, ref))) <= 0.05, (ours, ref)
    # the out-of-bag estimate agrees as well
    assert abs(np.mean(oob_ours) - np.mean(oob_ref)) <= 0.02, (oob_ours, oob_ref)


@pytest.mark.parametrize("name", ["diabetes", "friedman1"])
def test_regressor_r2_close_to_sklearn(name):
    ours, ref, oob_ours, oob_ref = [], [], [], []
    for seed in SEEDS[:3]:
        if name == "friedman1":
            X, y = make_friedman1(n_samples=600, noise=1.0, random_state=seed)
            X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=seed)
        else:
            X_tr, X_te, y_tr, y_te = _split(name, seed)
        a = RandomForestRegressor(n_estimators=60, oob_score=True, random_state=seed).fit(X_tr, y_tr)
        b = ensemble.RandomForestRegressor(n_estimators=60, oob_score=True, random_state=seed).fit(X_tr, y_tr)
        ours.append(a.score(X_te, y_te))
        ref.append(b.score(X_te, y_te))
        oob_ours.append(a.oob_score_)
        oob_ref.append(b.oob_score_)
    assert abs(np.mean(ours) - np.mean(ref)) <= 0.03, (ours, ref)
    assert abs(np.mean(oob_ours) - np.mean(oob_ref)) <= 0.03, (oob_ours, oob_ref)


def test_bootstrap_counts_as_weights_equal_a_tree_on_the_resampled_rows():
    X, y = load("wine").X, load("wine").y
    forest = RandomForestClassifier(n_estimators=3, random_state=7).fit(X, y)
    seeds = np.random.default_rng(7).integers(0, np.iinfo(np.int32).max, size=(3, 2))
    for b, tree in enumerate(forest.estimators_):
        counts = _bootstrap_counts(int(seeds[b, 0]), len(y), len(y))
        rows = np.repeat(np.arange(len(y)), counts)
        direct = DecisionTreeClassifier(max_features="sqrt", random_state=int(seeds[b, 1])).fit(X[rows], y[rows])
        np.testing.assert_array_equal(tree.feature_, direct.feature_)
        np.testing.assert_array_equal(tree.threshold_, direct.threshold_)
        np.testing.assert_allclose(tree.value_, direct.value_)


def test_bootstrap_counts_are_the_seeded_multinomial_draws():
    # tree b is grown on n draws with replacement from numpy's Generator seeded with the
    # forest's b-th seed: its root holds the drawn rows (distinct count, total weight n,
    # class shares by draw count), and a row's out-of-bag vote comes from exactly the
    # trees that never drew it
    d = load("wine")
    X, y = d.X, d.y
    n, B = len(y), 6
    seeds = np.random.default_rng(7).integers(0, np.iinfo(np.int32).max, size=(B, 2))
    counts = np.array([np.bincount(np.random.default_rng(int(seeds[b, 0])).integers(0, n, n), minlength=n)
                       for b in range(B)])  # (B, n)
    in_every = int(np.all(counts > 0, axis=0).sum())  # rows no tree leaves out (11 here)
    with pytest.warns(UserWarning, match=f"{in_every} training rows were drawn by every bootstrap"):
        forest = RandomForestClassifier(n_estimators=B, oob_score=True, random_state=7).fit(X, y)
    for tree, c in zip(forest.estimators_, counts):
        assert tree.n_node_samples_[0] == np.count_nonzero(c)
        assert tree.weighted_n_node_samples_[0] == n
        np.testing.assert_allclose(tree.value_[0], np.bincount(y, weights=c, minlength=3) / n, rtol=1e-14)
    out = counts == 0  # (B, n)
    votes = sum(out[b][:, None] * tree.predict_proba(X) for b, tree in enumerate(forest.estimators_))
    seen = out.any(axis=0)
    np.testing.assert_allclose(forest.oob_decision_function_[seen], votes[seen] / out.sum(axis=0)[seen, None],
                               rtol=1e-14)
    assert np.isnan(forest.oob_decision_function_[~seen]).all()
    # max_samples: fewer draws per tree
    half = RandomForestClassifier(n_estimators=2, max_samples=0.5, random_state=7).fit(X, y)
    c = np.bincount(np.random.default_rng(int(seeds[0, 0])).integers(0, n, round(n / 2)), minlength=n)
    assert half.estimators_[0].weighted_n_node_samples_[0] == round(n / 2)
    assert half.estimators_[0].n_node_samples_[0] == np.count_nonzero(c)


def test_each_split_searches_max_features_drawn_features():
    # feature 0 decides the class, the 9 others are noise.  A root sees feature 0 only
    # if it is among the max_features features drawn for it: with probability
    # max_features / 10.  (Searching all features would put every root on feature 0.)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 10))
    y = (X[:, 0] > 0).astype(int)
    for max_features, expected in ((1, 0.1), (3, 0.3), (10, 1.0)):
        forest = RandomForestClassifier(n_estimators=300, max_features=max_features, max_depth=1,
                                        bootstrap=False, random_state=1).fit(X, y)
        share = np.mean([t.feature_[0] == 0 for t in forest.estimators_])
        # binomial(300, p): 4 standard deviations
        assert abs(share - expected) <= 4 * np.sqrt(expected * (1 - expected) / 300), (max_features, share)


def test_forest_trees_are_the_readable_carts_with_the_same_draws(monkeypatch):
    # every tree of a forest (bootstrap weights, max_features draws) grown again by the
    # readable CART of tree.py: the same tree node by node
    from mlatlas.supervised import tree as tree_module

    d = load("breast_cancer")
    X, y = d.X[::3], d.y[::3]
    fast = RandomForestClassifier(n_estimators=5, max_features=4, random_state=3).fit(X, y)
    monkeypatch.setattr(tree_module, "_build_tree", tree_module.build_tree_readable)
    readable = RandomForestClassifier(n_estimators=5, max_features=4, random_state=3).fit(X, y)
    for a, b in zip(fast.estimators_, readable.estimators_):
        np.testing.assert_array_equal(a.feature_, b.feature_)
        np.testing.assert_array_equal(a.threshold_, b.threshold_)
        np.testing.assert_array_equal(a.children_left_, b.children_left_)
        np.testing.assert_allclose(a.value_, b.value_, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(fast.predict_proba(X), readable.predict_proba(X), rtol=1e-13, atol=1e-15)


def test_without_randomness_every_tree_is_the_single_tree():
    d = load("breast_cancer")
    forest = RandomForestClassifier(n_estimators=4, bootstrap=False, max_features=None, random_state=0).fit(d.X, d.y)
    single = DecisionTreeClassifier().fit(d.X, d.y)
    for tree in forest.estimators_:
        np.testing.assert_array_equal(tree.threshold_, single.threshold_)
    np.testing.assert_allclose(forest.predict_proba(d.X), single.predict_proba(d.X))
    reg = RandomForestRegressor(n_estimators=3, bootstrap=False, random_state=0).fit(d.X, d.y.astype(float))
    np.testing.assert_allclose(reg.predict(d.X), DecisionTreeRegressor().fit(d.X, d.y.astype(float)).predict(d.X))


def test_reproducible_and_independent_of_n_jobs():
    d = load("digits")
    X, y = d.X[:600], d.y[:600]
    a = RandomForestClassifier(n_estimators=20, random_state=3, oob_score=True).fit(X, y)
    b = RandomForestClassifier(n_estimators=20, random_state=3, oob_score=True, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.oob_score_ == b.oob_score_
    c = RandomForestClassifier(n_estimators=20, random_state=4).fit(X, y)
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))


def test_votes_importances_and_oob_attributes():
    d = load("wine")
    forest = RandomForestClassifier(n_estimators=30, oob_score=True, random_state=0).fit(d.X, d.y)
    # soft vote = mean of the trees' probabilities
    mean = np.mean([t.predict_proba(d.X) for t in forest.estimators_], axis=0)
    np.testing.assert_allclose(forest.predict_proba(d.X), mean)
    np.testing.assert_array_equal(forest.predict(d.X), forest.classes_[np.argmax(mean, axis=1)])
    imp = np.mean([t.feature_importances_ for t in forest.estimators_], axis=0)
    np.testing.assert_allclose(forest.feature_importances_, imp / imp.sum())
    assert forest.feature_importances_.sum() == pytest.approx(1.0)
    assert forest.oob_decision_function_.shape == (len(d.y), 3)
    np.testing.assert_allclose(forest.oob_decision_function_.sum(axis=1), 1.0)
    acc = np.mean(forest.classes_[np.argmax(forest.oob_decision_function_, axis=1)] == d.y)
    assert forest.oob_score_ == pytest.approx(acc)
    # each tree saw about 63 % of the distinct rows
    seen = np.mean([t.n_node_samples_[0] for t in forest.estimators_]) / len(d.y)
    assert 0.58 < seen < 0.68


def test_string_labels_and_bad_parameters():
    d = load("iris")
    labels = np.array(["setosa", "versicolor", "virginica"])[d.y]
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(d.X, labels)
    assert set(forest.predict(d.X)) <= set(labels)
    with pytest.raises(ValueError, match="bootstrap"):
        RandomForestClassifier(oob_score=True, bootstrap=False).fit(d.X, d.y)
    with pytest.raises(ValueError, match="n_estimators"):
        RandomForestClassifier(n_estimators=0).fit(d.X, d.y)
    with pytest.raises(ValueError, match="max_features"):
        RandomForestClassifier(n_estimators=2, max_features="half").fit(d.X, d.y)


def test_save_load_round_trip(tmp_path):
    d = load("wine")
    for model, y in ((RandomForestClassifier(n_estimators=15, oob_score=True, random_state=0), d.y),
                     (RandomForestRegressor(n_estimators=15, random_state=0), d.X[:, 0])):
        X = d.X[:, 1:]
        model.fit(X, y)
        save_model(model, tmp_path / "forest.npz")
        back = load_model(tmp_path / "forest.npz")
        assert len(back.estimators_) == 15
        np.testing.assert_array_equal(back.predict(X), model.predict(X))
        np.testing.assert_array_equal(back.feature_importances_, model.feature_importances_)


_REASON = ("a bootstrap draws rows uniformly, so repeating a row changes the draw: weights "
           "are not equivalent to repetitions (scikit-learn's forests fail this check too)")


@parametrize_with_checks(
    [RandomForestClassifier(n_estimators=10, random_state=0), RandomForestRegressor(n_estimators=10, random_state=0)],
    expected_failed_checks=lambda est: {"check_sample_weight_equivalence_on_dense_data": _REASON},
)
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_atlas_entries_run_and_draw(tmp_path):
    from mlatlas.atlas import registry
    from mlatlas.atlas.runner import run_entry

    result = run_entry(registry.get("random-forest"), out_dir=str(tmp_path / "clf"))
    ours, ref = result.rows
    assert abs(ours.metrics["accuracy"] - ref.metrics["accuracy"]) <= 0.03
    assert abs(ours.metrics["oob_score"] - ref.metrics["oob_score"]) <= 0.03
    assert len(result.figures) == 2
    reg = run_entry(registry.get("random-forest-regressor"), params={"n_estimators": 30}, figures=False)
    assert abs(reg.rows[0].metrics["r2"] - reg.rows[1].metrics["r2"]) <= 0.1


@pytest.mark.parametrize("exponent", [1014, -1000])
def test_regression_targets_of_any_magnitude(exponent):
    # near 1e308 the trees' sum would overflow: the mean is then added up as f_b / B
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    scale = 2.0**exponent
    base = RandomForestRegressor(n_estimators=8, random_state=0).fit(X, y)
    scaled = RandomForestRegressor(n_estimators=8, random_state=0).fit(X, y * scale)
    prediction = scaled.predict(X)
    assert np.all(np.isfinite(prediction))
    np.testing.assert_allclose(prediction, base.predict(X) * scale, rtol=1e-12)
