"""ID3: the play-tennis table worked by hand, invariants, the estimator contract."""

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from mlatlas.persistence import load_model, save_model
from mlatlas.supervised.id3 import ID3Classifier, entropy, information_gain

# Mitchell (1997), table 3.2: 14 days, four weather attributes, "play tennis?".
PLAY_TENNIS = """\
sunny    hot  high   weak   no
sunny    hot  high   strong no
overcast hot  high   weak   yes
rain     mild high   weak   yes
rain     cool normal weak   yes
rain     cool normal strong no
overcast cool normal strong yes
sunny    mild high   weak   no
sunny    cool normal weak   yes
rain     mild normal weak   yes
sunny    mild normal strong yes
overcast mild high   strong yes
overcast hot  normal weak   yes
rain     mild high   strong no"""
FEATURES = ["outlook", "temperature", "humidity", "wind"]


def tennis():
    table = np.array([row.split() for row in PLAY_TENNIS.splitlines()])
    return table[:, :4], table[:, 4]


def h(*counts):
    """Entropy in bits worked out from the counts, term by term."""
    n = sum(counts)
    return -sum(c / n * np.log2(c / n) for c in counts if c)


def test_root_gains_match_the_hand_computation():
    X, y = tennis()
    clf = ID3Classifier().fit(X, y)
    root = h(9, 5)  # 9 yes, 5 no
    expected = {
        # outlook: sunny 2 yes/3 no, overcast 4/0, rain 3/2
        "outlook": root - (5 / 14 * h(2, 3) + 4 / 14 * h(4, 0) + 5 / 14 * h(3, 2)),
        # temperature: hot 2/2, mild 4/2, cool 3/1
        "temperature": root - (4 / 14 * h(2, 2) + 6 / 14 * h(4, 2) + 4 / 14 * h(3, 1)),
        # humidity: high 3/4, normal 6/1
        "humidity": root - (7 / 14 * h(3, 4) + 7 / 14 * h(6, 1)),
        # wind: weak 6/2, strong 3/3
        "wind": root - (8 / 14 * h(6, 2) + 6 / 14 * h(3, 3)),
    }
    got = dict(zip(FEATURES, clf.information_gain_))
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, abs=1e-12)
    # the textbook's rounded figures (bits)
    assert got["outlook"] == pytest.approx(0.246, abs=1e-3)
    assert got["humidity"] == pytest.approx(0.151, abs=1e-3)
    assert got["wind"] == pytest.approx(0.048, abs=1e-3)
    assert got["temperature"] == pytest.approx(0.029, abs=1e-3)
    assert information_gain(X[:, 3], y) == pytest.approx(expected["wind"], abs=1e-12)
    assert float(entropy(np.array([9, 5]))) == pytest.approx(0.9402859586706311, abs=1e-12)


def test_play_tennis_gives_the_known_tree():
    X, y = tennis()
    clf = ID3Classifier().fit(X, y)
    t = clf.tree_
    assert FEATURES[t["feature"][0]] == "outlook"
    outlook = list(clf.categories_[0])
    assert outlook == ["overcast", "rain", "sunny"]
    kids = {v: t["children"][t["child_start"][0] + i] for i, v in enumerate(outlook)}
    assert t["feature"][kids["overcast"]] == -1
    assert clf.classes_[np.argmax(t["value"][kids["overcast"]])] == "yes"
    assert FEATURES[t["feature"][kids["sunny"]]] == "humidity"
    assert FEATURES[t["feature"][kids["rain"]]] == "wind"
    assert clf.get_depth() == 2 and clf.get_n_leaves() == 5
    # sunny and rain subsets split perfectly: gain = their entropy h(2, 3)
    assert t["gain"][kids["sunny"]] == pytest.approx(h(2, 3))
    np.testing.assert_array_equal(clf.predict(X), y)
    text = clf.export_text(FEATURES)
    assert text.splitlines()[0].startswith("outlook")
    assert "|--- outlook = overcast: yes" in text
    assert "|   |--- humidity = high: no" in text
    assert "|   |--- wind = strong: no" in text
    assert clf.explain(["sunny", "hot", "normal", "weak"], FEATURES) == [
        "outlook = sunny", "humidity = normal", "-> yes (leaf)"]


def test_unseen_category_falls_back_to_node_majority():
    X, y = tennis()
    clf = ID3Classifier().fit(X, y)
    # unseen at the root: the root's majority (9 yes / 5 no)
    proba = clf.predict_proba([["fog", "hot", "high", "weak"]])
    np.testing.assert_allclose(proba, [[5 / 14, 9 / 14]])
    # reaches the sunny node, humidity unseen there: sunny's majority (3 no / 2 yes)
    assert clf.predict([["sunny", "hot", "damp", "weak"]])[0] == "no"
    np.testing.assert_allclose(clf.predict_proba([["sunny", "hot", "damp", "weak"]]), [[0.6, 0.4]])


def test_each_feature_at_most_once_per_path_and_depth_limits():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 3, size=(300, 5))
    y = (X[:, 0] + X[:, 1] * X[:, 2] + rng.integers(0, 2, 300)) % 3
    clf = ID3Classifier().fit(X, y)
    t = clf.tree_
    for leaf in np.flatnonzero(t["feature"] == -1):
        used, node = [], t["parent"][leaf]
        while node >= 0:
            used.append(t["feature"][node])
            node = t["parent"][node]
        assert len(used) == len(set(used))
    assert clf.get_depth() <= 5
    assert ID3Classifier(max_depth=1).fit(X, y).get_depth() == 1
    assert ID3Classifier(max_depth=0).fit(X, y).get_n_leaves() == 1
    big = ID3Classifier(min_samples_split=200).fit(X, y)
    assert np.all(big.tree_["n_samples"][big.tree_["feature"] >= 0] >= 200)


def test_mixed_object_columns_and_integer_categories():
    X = np.array([["a", 1], ["a", 2], ["b", 1], ["b", 2], ["c", 1]], dtype=object)
    y = np.array([0, 0, 1, 1, 0])
    clf = ID3Classifier().fit(X, y)
    np.testing.assert_array_equal(clf.predict(X), y)
    assert clf.predict(np.array([["zzz", 7]], dtype=object))[0] == 0  # root majority


def test_bad_parameters_raise_clear_errors():
    X, y = tennis()
    with pytest.raises(ValueError, match="min_samples_split"):
        ID3Classifier(min_samples_split=1).fit(X, y)
    with pytest.raises(ValueError, match="max_depth"):
        ID3Classifier(max_depth=-1).fit(X, y)
    with pytest.raises(TypeError, match="max_depth"):
        ID3Classifier(max_depth=1.5).fit(X, y)


def test_save_load_round_trip(tmp_path):
    X, y = tennis()
    clf = ID3Classifier().fit(X, y)
    save_model(clf, tmp_path / "id3.npz")
    back = load_model(tmp_path / "id3.npz")
    queries = np.vstack([X, [["fog", "hot", "high", "weak"], ["sunny", "mild", "damp", "calm"]]])
    np.testing.assert_array_equal(back.predict(queries), clf.predict(queries))
    np.testing.assert_allclose(back.predict_proba(queries), clf.predict_proba(queries))
    assert back.export_text(FEATURES) == clf.export_text(FEATURES)


@parametrize_with_checks([ID3Classifier()])
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_atlas_entry_runs_and_draws(tmp_path):
    from mlatlas.atlas import registry
    from mlatlas.atlas.runner import run_entry

    result = run_entry(registry.get("id3"), dataset="wine", out_dir=str(tmp_path))
    assert result.comparison["play_tennis_root"] == "outlook"
    assert result.comparison["play_tennis_training_accuracy"] == 1.0
    gains = result.info["play_tennis_root_gains_bits"]
    assert gains["outlook"] == pytest.approx(0.2467, abs=1e-4)
    # multiway ID3 on tercile bins is about as accurate as the entropy CART on their one-hot coding
    ours, ref = (row.metrics["accuracy"] for row in result.rows)
    assert ours > 0.85 and abs(ours - ref) < 0.1
    assert len(result.figures) == 2
    for path in result.figures:
        assert (tmp_path / path.split("/")[-1]).stat().st_size > 1000
