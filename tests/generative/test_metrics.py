"""mlatlas.metrics: the Frechet distance, digits_fid and its cache, the Bernoulli baselines (no torch needed)."""

import os

import numpy as np
import pytest

from mlatlas import metrics


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLATLAS_CACHE", str(folder))
        yield folder


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.data / 16.0, d.target


def test_frechet_distance_against_scipy_sqrtm(rng):
    from scipy.linalg import sqrtm

    A, B = rng.standard_normal((5, 5)), rng.standard_normal((5, 5))
    S1, S2 = A @ A.T + 0.1 * np.eye(5), B @ B.T + 0.1 * np.eye(5)
    m1, m2 = rng.standard_normal(5), rng.standard_normal(5)
    reference = np.sum((m1 - m2) ** 2) + np.trace(S1 + S2 - 2 * np.real(sqrtm(S1 @ S2)))
    assert metrics.frechet_distance(m1, S1, m2, S2) == pytest.approx(reference, rel=1e-8)
    assert metrics.frechet_distance(m1, S1, m1, S1) == pytest.approx(0.0, abs=1e-8)


def test_digits_fid_separates_real_digits_from_noise(cache, digits, rng):
    X, y = digits
    real = metrics.digits_fid(X[1::2], labels=y[1::2])
    noise = metrics.digits_fid(rng.random((899, 64)))
    assert real.fid < 0.2 < 20.0 < noise.fid
    assert real.accuracy > 0.97 and noise.accuracy is None
    shuffled = metrics.digits_fid(X[1::2], labels=np.roll(y[1::2], 1))
    assert shuffled.fid == pytest.approx(real.fid) and shuffled.accuracy < 0.3
    assert metrics.digits_fid(X[1::2].reshape(-1, 1, 8, 8)).fid == pytest.approx(real.fid)


def test_the_classifier_is_cached_on_disk_and_rebuilt_when_damaged(cache, digits):
    X = digits[0][:300]
    first = metrics.digits_fid(X).fid
    files = [f for f in os.listdir(cache) if f.startswith("digits_fid_classifier")]
    assert files == ["digits_fid_classifier_v1.npz"]
    path = cache / files[0]
    stamp = path.stat().st_mtime_ns
    assert metrics.digits_fid(X).fid == first and path.stat().st_mtime_ns == stamp  # read, not retrained
    path.write_bytes(b"not a model")
    assert metrics.digits_fid(X).fid == pytest.approx(first)  # retrained deterministically
    assert path.stat().st_size > 1000


def test_digits_fid_checks_its_input(cache):
    with pytest.raises(ValueError, match=r"samples must have shape \(n, 64\) or \(n, 1, 8, 8\)"):
        metrics.digits_fid(np.zeros((5, 1, 28, 28)))
    with pytest.raises(ValueError, match="at least 2 images"):
        metrics.digits_fid(np.zeros((1, 64)))
    with pytest.raises(ValueError, match=r"values in \[0, 1\]"):
        metrics.digits_fid(np.full((4, 64), 16.0))
    with pytest.raises(ValueError, match=r"labels must hold class labels in \[0, 10\)"):
        metrics.digits_fid(np.zeros((4, 64)), labels=[0, 1, 2, 10])


def test_binarized_split_is_half_and_stratified():
    X_train, X_test, y_train, y_test = metrics.binarized_digits_split()
    assert X_train.shape == (898, 64) and X_test.shape == (899, 64)
    assert set(np.unique(X_train)) == {0.0, 1.0}
    assert np.abs(np.bincount(y_train) - np.bincount(y_test)).max() <= 1


def test_gray_and_binary_splits_hold_the_same_digits():
    gray = metrics.digits_split(binary=False)
    binary = metrics.digits_split(binary=True)
    for a, b in zip(gray[:2], binary[:2]):
        np.testing.assert_array_equal((a * 16 > 8).astype(np.float32), b)
        assert a.dtype == np.float32 and 0 <= a.min() and a.max() <= 1
    for a, b, c in zip(gray[2:], binary[2:], metrics.binarized_digits_split()[2:]):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(b, c)


def test_classify_digits_is_the_fid_classifier(cache, digits):
    X, y = digits
    labels = metrics.classify_digits(X[:200])
    assert labels.shape == (200,) and np.mean(labels == y[:200]) > 0.95
    assert metrics.digits_fid(X[:200], labels=labels).accuracy == 1.0


def test_independent_bernoulli_baseline_by_hand():
    X_train, X_test, _, _ = metrics.binarized_digits_split()
    m = (X_train.sum(0) + 1) / (len(X_train) + 2)
    by_hand = -np.mean([np.sum(np.where(x == 1, np.log(m), np.log(1 - m))) for x in X_test])
    figures = metrics.bernoulli_nll_baselines(n_components=5)
    assert figures["independent_bernoulli"] == pytest.approx(by_hand, rel=1e-10)
    assert figures["bernoulli_mixture"] < figures["independent_bernoulli"]
    assert (figures["n_train"], figures["n_test"], figures["n_components"]) == (898, 899, 5)


def test_em_recovers_a_known_bernoulli_mixture():
    rng = np.random.default_rng(0)
    truth = np.array([[0.9] * 5 + [0.1] * 5, [0.1] * 5 + [0.9] * 5])
    z = rng.random(4000) < 0.3
    X = (rng.random((4000, 10)) < truth[z.astype(int)]).astype(float)
    pi, mu, history = metrics.bernoulli_mixture_em(X, 2, random_state=1)
    order = np.argsort(pi)
    np.testing.assert_allclose(pi[order], [0.3, 0.7], atol=0.03)
    np.testing.assert_allclose(mu[order], truth[[1, 0]], atol=0.03)
    assert history[-1] > history[0]
