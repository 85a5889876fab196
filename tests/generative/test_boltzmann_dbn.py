"""The deep belief network and its classifier: the lower bound, sampling, pretraining, saving, the contract."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp
from sklearn.utils.estimator_checks import parametrize_with_checks

from mlatlas import load_model, save_model
from mlatlas.generative.boltzmann import DBN, RBM, BoltzmannMachine, DBNClassifier, ais
from mlatlas.generative.boltzmann.bm import all_states
from mlatlas.metrics import binarized_digits_split


@pytest.fixture(scope="module")
def digits():
    X_train, X_test, y_train, y_test = binarized_digits_split(0)
    return X_train.astype(np.float64), X_test.astype(np.float64), y_train, y_test


def _exact_log_p(dbn, V):
    """log p(v) = log sum_h1 p(v | h1) p_top(h1) of a two-layer DBN, by enumerating h1."""
    low, top = dbn.rbms_
    H1 = all_states(low.components_.shape[0])
    log_top = -ais.free_energy(H1, top.components_, top.intercept_visible_, top.intercept_hidden_) \
        - ais.exact_log_partition(top.components_, top.intercept_visible_, top.intercept_hidden_)
    logits = H1 @ low.components_ + low.intercept_visible_  # (2^h1, n_visible)
    # log p(v | h1) = sum_i [v_i a_i - softplus(a_i)]
    log_cond = V @ logits.T - ais.softplus(logits).sum(axis=1)  # (n, 2^h1)
    return logsumexp(log_cond + log_top, axis=1)


def test_lower_bound_is_below_the_exact_likelihood_and_tightens_with_samples(digits):
    X = digits[0][:, :10]  # 10 pixels, 6 and 4 hidden units: everything enumerable
    X = X[X.sum(axis=1) > 0]
    dbn = DBN(hidden_layer_sizes=(6, 4), n_iter=20, random_state=0).fit(X)
    V = X[:40]
    exact = _exact_log_p(dbn, V)
    log_Z = dbn.log_partition(method="exact")[0]
    one = np.mean([dbn.log_likelihood_lower_bound(V, n_samples=1, log_Z=log_Z, random_state=s).mean()
                   for s in range(20)])
    many = dbn.log_likelihood_lower_bound(V, n_samples=2000, log_Z=log_Z, random_state=0)
    assert one < many.mean() <= exact.mean() + 1e-3
    assert many.mean() == pytest.approx(exact.mean(), abs=0.02)


def test_one_layer_dbn_is_its_rbm(digits):
    X = digits[0]
    dbn = DBN(hidden_layer_sizes=(8,), n_iter=3, random_state=0).fit(X)
    log_Z = dbn.log_partition(method="exact")[0]
    np.testing.assert_allclose(dbn.log_likelihood_lower_bound(X[:20], log_Z=log_Z),
                               dbn.rbms_[0].log_likelihood(X[:20], log_Z=log_Z))


def test_greedy_layers_transform_and_sample(digits):
    X = digits[0]
    dbn = DBN(hidden_layer_sizes=(16, 8), n_iter=3, random_state=0).fit(X)
    assert [r.components_.shape for r in dbn.rbms_] == [(16, 64), (8, 16)]
    np.testing.assert_allclose(dbn.transform(X[:5]), dbn.rbms_[1].transform(dbn.rbms_[0].transform(X[:5])))
    samples = dbn.sample(6, random_state=0, n_steps=10)
    assert samples.shape == (6, 64) and 0 <= samples.min() and samples.max() <= 1
    np.testing.assert_array_equal(samples, dbn.sample(6, random_state=0, n_steps=10))
    assert sorted({row["layer"] for row in dbn.history_}) == [1, 2] and dbn.binary_pixels()


def test_pretraining_copies_the_rbm_weights_into_the_network(digits):
    X, _, y, _ = digits
    clf = DBNClassifier((12,), rbm_n_iter=3, max_epochs=1, learning_rate=1e-12, random_state=0).fit(X, y)
    rbm = clf.dbn_.rbms_[0]
    np.testing.assert_allclose(clf.coefs_[0], rbm.components_.T, atol=1e-9)
    np.testing.assert_allclose(clf.intercepts_[0], rbm.intercept_hidden_, atol=1e-9)
    # so the hidden layer's activations are the RBM's p(h | v)
    plain = DBNClassifier((12,), pretrain=False, max_epochs=1, random_state=0).fit(X, y)
    assert plain.dbn_ is None and not np.allclose(plain.coefs_[0], clf.coefs_[0])


def test_fine_tuned_classifier_learns_the_digits(digits):
    X_train, X_test, y_train, y_test = digits
    clf = DBNClassifier((32,), rbm_n_iter=5, max_epochs=15, random_state=0).fit(X_train, y_train)
    assert clf.score(X_test, y_test) > 0.85
    assert clf.history_.column("loss")[-1] < clf.history_.column("loss")[0]
    proba = clf.predict_proba(X_test[:5])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


@pytest.mark.parametrize("make", [
    lambda X, y: RBM(n_components=5, n_iter=2, random_state=0).fit(X),
    lambda X, y: DBN(hidden_layer_sizes=(6, 3), n_iter=2, random_state=0).fit(X),
    lambda X, y: DBNClassifier((6,), rbm_n_iter=2, max_epochs=2, random_state=0).fit(X, y),
    lambda X, y: BoltzmannMachine(n_hidden=2, n_iter=1, random_state=0).fit(X[:, :8]),
], ids=["rbm", "dbn", "dbn-classifier", "bm"])
def test_save_and_load_round_trip(make, digits, tmp_path):
    X, X_test, y, _ = digits
    model = make(X, y)
    path = tmp_path / "model.npz"
    save_model(model, str(path))
    loaded = load_model(str(path))
    assert type(loaded) is type(model) and loaded.get_params() == model.get_params()
    if isinstance(model, DBNClassifier):
        np.testing.assert_array_equal(loaded.predict_proba(X_test), model.predict_proba(X_test))
    elif isinstance(model, BoltzmannMachine):
        np.testing.assert_array_equal(loaded.weights_, model.weights_)
        np.testing.assert_array_equal(loaded.sample(3, random_state=1, n_sweeps=3),
                                      model.sample(3, random_state=1, n_sweeps=3))
    else:
        np.testing.assert_array_equal(loaded.transform(X_test), model.transform(X_test))
        np.testing.assert_array_equal(loaded.sample(3, random_state=1, n_steps=5),
                                      model.sample(3, random_state=1, n_steps=5))


def test_bad_layer_sizes_are_refused(digits):
    with pytest.raises(ValueError, match="at least one layer"):
        DBN(hidden_layer_sizes=()).fit(digits[0])
    with pytest.raises(ValueError, match="each of hidden_layer_sizes must be an int >= 1"):
        DBNClassifier(hidden_layer_sizes=(4, 0)).fit(digits[0], digits[2])
    with pytest.raises(ValueError, match="X must hold values in \\[0, 1\\]"):
        DBN(hidden_layer_sizes=(3,)).fit(digits[0] * 2)


@parametrize_with_checks([DBNClassifier((16,), rbm_n_iter=5, max_epochs=50, learning_rate=1e-2, random_state=0)])
def test_dbn_classifier_follows_the_estimator_contract(estimator, check):
    check(estimator)
