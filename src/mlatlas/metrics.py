r"""Metrics for generative models of the 8x8 digits: a Frechet distance and likelihood baselines.

``digits_fid(samples, labels=None)``
    The Frechet distance between the features of generated digits and of the real
    ones, the features being the hidden layer of a fixed classifier of the digits
    (the idea of the Frechet Inception distance, on a scale that fits 8x8 images).
    Lower is better; see its documentation for what the values mean.

``bernoulli_nll_baselines()``
    Test negative log-likelihoods of the two classical density models of binary
    images, on the split every likelihood model here is measured on: the digits
    binarized at pixel > 8, half held out, stratified by class
    (:func:`binarized_digits_split`).

Nothing here needs PyTorch: the classifier is mlatlas's own NumPy MLP.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

import numpy as np

__all__ = ["digits_fid", "FIDResult", "frechet_distance", "digits_features", "bernoulli_nll_baselines",
           "binarized_digits_split", "digits_split", "classify_digits", "bernoulli_mixture_em", "cache_dir"]

#: Bump when the classifier's recipe changes, so old cached files are not used.
_CLASSIFIER_VERSION = 1
_CLASSIFIER_PARAMS = dict(hidden_layer_sizes=(64,), learning_rate=3e-3, batch_size=128, max_epochs=60,
                          weight_decay=1e-4, random_state=0)


def cache_dir() -> str:
    """Where mlatlas caches files: ``$MLATLAS_CACHE``, else ``$XDG_CACHE_HOME/mlatlas``, else ``~/.cache/mlatlas``."""
    if os.environ.get("MLATLAS_CACHE"):
        return os.environ["MLATLAS_CACHE"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "mlatlas")


def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def _train_classifier() -> Any:
    """The fixed digits classifier: an MLP with 64 ReLU units, trained deterministically on all 1797 digits.

    60 epochs of Adam (batch 128, learning rate 3e-3) from a seeded start: about 2 s,
    99.7% training accuracy.
    """
    import warnings

    from .nn import MLPClassifier

    X, y = _digits()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a ConvergenceWarning at max_epochs changes nothing here
        return MLPClassifier(**_CLASSIFIER_PARAMS).fit(X, y)


def _classifier() -> Any:
    """The classifier, from the cache when present (trained and cached, atomically, otherwise)."""
    from .persistence import load_model, save_model

    path = os.path.join(cache_dir(), f"digits_fid_classifier_v{_CLASSIFIER_VERSION}.npz")
    if os.path.exists(path):
        try:
            model = load_model(path)
            if type(model).__name__ == "MLPClassifier" and model.coefs_[0].shape == (64, 64):
                return model
        except ValueError:
            pass  # a damaged cache file: train again and replace it
    model = _train_classifier()
    try:
        save_model(model, path)  # written to a temporary file, then renamed
    except OSError:
        pass  # a read-only cache: use the model without caching it
    return model


def digits_features(images: Any) -> np.ndarray:
    """Hidden-layer features of the fixed digits classifier, h = relu(x W_1 + b_1): (n, 64).

    Parameters
    ----------
    images : array-like of shape (n, 1, 8, 8) or (n, 64), values in [0, 1]
    """
    x = _check_digit_images(images, "images")
    clf = _classifier()
    # h = relu(x W_1 + b_1)
    return np.maximum(x @ clf.coefs_[0] + clf.intercepts_[0], 0.0)


def _check_digit_images(images: Any, name: str) -> np.ndarray:
    from .generative.base import _to_numpy, check_images

    shape = np.shape(_to_numpy(images))
    if not (len(shape) == 2 and shape[1] == 64) and not (len(shape) == 4 and shape[1:] == (1, 8, 8)):
        raise ValueError(f"{name} must have shape (n, 64) or (n, 1, 8, 8), 8x8 digits; got shape {shape}.")
    return check_images(images, name, (1, 8, 8)).reshape(-1, 64).astype(np.float64)


def classify_digits(images: Any) -> np.ndarray:
    """The fixed digits classifier's label for each 8x8 image in [0, 1], shape (n,).

    The classifier is the one :func:`digits_fid` uses (its features are the hidden layer).
    """
    return np.asarray(_classifier().predict(_check_digit_images(images, "images")))


def frechet_distance(mu_1: np.ndarray, cov_1: np.ndarray, mu_2: np.ndarray, cov_2: np.ndarray) -> float:
    r"""Frechet (2-Wasserstein) distance between N(mu_1, cov_1) and N(mu_2, cov_2).

        d^2 = ||mu_1 - mu_2||^2 + Tr(S_1 + S_2 - 2 (S_1 S_2)^{1/2})

    with Tr (S_1 S_2)^{1/2} = sum_i sqrt(lambda_i(A S_2 A)), A = S_1^{1/2}, which keeps
    the matrix symmetric so its eigenvalues are real.

    Examples
    --------
    >>> I = np.eye(2)
    >>> frechet_distance(np.zeros(2), I, np.ones(2), 4 * I)   # 2 + (1 + 4 - 2 * 2) * 2
    4.0
    """
    w, V = np.linalg.eigh(cov_1)
    # A = S_1^{1/2}
    A = (V * np.sqrt(np.clip(w, 0.0, None))) @ V.T
    # Tr (S_1 S_2)^{1/2} = sum_i sqrt(eig_i(A S_2 A))
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh(A @ cov_2 @ A), 0.0, None)).sum()
    diff = mu_1 - mu_2
    return float(diff @ diff + np.trace(cov_1) + np.trace(cov_2) - 2.0 * trace_sqrt)


class FIDResult(NamedTuple):
    """What :func:`digits_fid` returns."""

    fid: float
    """Frechet distance to the real digits' features (lower is better)."""
    accuracy: float | None
    """Share of samples the classifier assigns to their label (None without labels)."""


def digits_fid(samples: Any, labels: Any = None) -> FIDResult:
    r"""Frechet distance between generated 8x8 digits and the real ones, in a classifier's feature space.

    Both sets are mapped to the 64 ReLU units of the hidden layer of a fixed MLP
    classifier of the digits (:class:`mlatlas.nn.MLPClassifier`, trained
    deterministically on all 1797 digits scaled to [0, 1] at first use, then cached
    under :func:`cache_dir`); each set of features is summarised by its mean and
    covariance, and the score is the Frechet distance between the two Gaussians:

        FID = ||mu_g - mu_r||^2 + Tr(S_g + S_r - 2 (S_g S_r)^{1/2}),

    the real statistics coming from all 1797 digits.  What the values mean (measured
    with this classifier, 899 images per set unless said):

    =====================================================  ======
    the 899 held-out digits of the standard split (real)    0.042
    the 898 training digits of that split (real)            0.043
    those training digits binarized at pixel > 8            1.77
    GaussianMixture(10) fitted on the training digits       0.53
    (as many samples, clipped to [0, 1])
    uniform noise in [0, 1]                                 44.4
    =====================================================  ======

    (the standard split: :func:`binarized_digits_split`'s, on the gray digits).
    A real set scores above 0 because a finite sample's mean and covariance differ
    from the full set's; a few hundred samples are needed for a stable value.

    Parameters
    ----------
    samples : array-like of shape (n, 1, 8, 8) or (n, 64)
        Generated images, values in [0, 1]; n >= 2.
    labels : array-like of shape (n,), optional
        The class each sample was asked to be (a conditional model); the result then
        also gives the classifier's accuracy on them.

    Returns
    -------
    FIDResult
        ``fid`` and ``accuracy`` (None without labels).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> digits = load_digits()
    >>> real = digits_fid(digits.data[::2] / 16, labels=digits.target[::2])
    >>> real.fid < 0.5, real.accuracy > 0.95
    (True, True)
    """
    x = _check_digit_images(samples, "samples")
    if x.shape[0] < 2:
        raise ValueError(f"samples must hold at least 2 images to estimate a covariance; got {x.shape[0]}.")
    features = digits_features(x)
    real = digits_features(_digits()[0])
    fid = frechet_distance(features.mean(axis=0), np.cov(features, rowvar=False),
                           real.mean(axis=0), np.cov(real, rowvar=False))
    accuracy = None
    if labels is not None:
        from .generative.base import check_labels

        y = check_labels(labels, x.shape[0], 10, "labels")
        accuracy = float(np.mean(_classifier().predict(x) == y))
    return FIDResult(fid=fid, accuracy=accuracy)


# --------------------------------------------------------------------------- likelihood baselines
def digits_split(binary: bool = True, random_state: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                        np.ndarray]:
    """The standard split of the 8x8 digits: halves, stratified by class.

    Parameters
    ----------
    binary : bool, default=True
        Binarize the pixels (pixel > 8, for Bernoulli likelihoods); else gray levels
        pixel / 16 in [0, 1].  Both give the same rows in each half.
    random_state : int, default=0
        Seed of the split (0 is the split every figure in the documentation uses).

    Returns
    -------
    X_train, X_test : ndarray of shape (898, 64) and (899, 64), float32 in [0, 1]
    y_train, y_test : ndarray of int
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = (X > 8).astype(np.float32) if binary else (X / 16.0).astype(np.float32)
    return tuple(train_test_split(X, y, test_size=0.5, stratify=y, random_state=random_state))


def binarized_digits_split(random_state: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The binarized 8x8 digits (pixel > 8) split in halves, stratified by class.

    ``digits_split(binary=True, random_state)``.

    Returns
    -------
    X_train, X_test : ndarray of shape (898, 64) and (899, 64), float32 in {0, 1}
    y_train, y_test : ndarray of int
    """
    return digits_split(True, random_state)


def _log_bernoulli(X: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """log p(x | mu) = sum_j [x_j log mu_j + (1 - x_j) log(1 - mu_j)] for each row of X and of mu: (n, K)."""
    return X @ np.log(mu).T + (1.0 - X) @ np.log1p(-mu).T


def bernoulli_mixture_em(X: np.ndarray, n_components: int, random_state: int = 0, max_iter: int = 500,
                         tol: float = 1e-7, prior: float = 1.0) -> tuple[np.ndarray, np.ndarray, list]:
    r"""Fit a mixture of independent Bernoullis to binary rows ``X`` by EM.

        p(x) = sum_k pi_k prod_j mu_kj^{x_j} (1 - mu_kj)^{1 - x_j}

    E step:  r_ik = pi_k p(x_i | mu_k) / sum_l pi_l p(x_i | mu_l)
    M step:  N_k = sum_i r_ik,  pi_k = N_k / n,
             mu_kj = (sum_i r_ik x_ij + prior) / (N_k + 2 prior)

    (the M step of the MAP estimate under a Beta(1 + prior, 1 + prior) prior on each
    mu_kj, which keeps every probability inside (0, 1)).  The means start at
    U(0.25, 0.75) from a seeded generator; EM stops when the mean log-likelihood
    gains less than ``tol`` in an iteration.

    Returns
    -------
    pi : ndarray of shape (n_components,)
    mu : ndarray of shape (n_components, n_features)
    log_likelihoods : list of float
        Mean training log-likelihood per iteration (it never decreases, up to the prior's term).
    """
    from scipy.special import logsumexp

    rng = np.random.default_rng(random_state)
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    pi = np.full(n_components, 1.0 / n_components)
    mu = rng.uniform(0.25, 0.75, size=(n_components, d))
    history: list[float] = []
    for _ in range(max_iter):
        # E step: log r_ik = log pi_k + log p(x_i | mu_k) - log sum_l pi_l p(x_i | mu_l)
        log_joint = np.log(pi) + _log_bernoulli(X, mu)           # (n, K)
        log_px = logsumexp(log_joint, axis=1)                    # (n,)
        r = np.exp(log_joint - log_px[:, None])
        history.append(float(log_px.mean()))
        # M step: N_k = sum_i r_ik;  pi_k = N_k / n;  mu_kj = (sum_i r_ik x_ij + prior) / (N_k + 2 prior)
        nk = r.sum(axis=0)
        pi = np.maximum(nk / n, 1e-300)
        mu = (r.T @ X + prior) / (nk[:, None] + 2.0 * prior)
        if len(history) > 1 and history[-1] - history[-2] < tol:
            break
    return pi, mu, history


def bernoulli_nll_baselines(n_components: int = 50, random_state: int = 0) -> dict:
    r"""Test -log p(x) in nats of the two classical models of binary images, on the binarized digits.

    The split is :func:`binarized_digits_split` (pixel > 8, half held out, stratified).

    * independent Bernoulli: p(x) = prod_j m_j^{x_j} (1 - m_j)^{1 - x_j}, with
      m_j = (count of ones + 1) / (n + 2) (Laplace's rule);
    * a mixture of ``n_components`` Bernoullis fitted by EM (:func:`bernoulli_mixture_em`).

    These are the floors every likelihood model here (the VAE, the RBM) must beat;
    measured: 24.57 nats (independent) and 19.05 nats (50 components).

    Returns
    -------
    dict
        ``independent_bernoulli`` and ``bernoulli_mixture`` (mean test NLL in nats),
        ``n_components``, ``n_train``, ``n_test``.

    Examples
    --------
    >>> figures = bernoulli_nll_baselines(n_components=5)
    >>> figures["bernoulli_mixture"] < figures["independent_bernoulli"]
    True
    """
    from scipy.special import logsumexp

    X_train, X_test, _, _ = (a.astype(np.float64) for a in binarized_digits_split())
    n = X_train.shape[0]
    # m_j = (sum_i x_ij + 1) / (n + 2)
    m = (X_train.sum(axis=0) + 1.0) / (n + 2.0)
    independent = -_log_bernoulli(X_test, m[None, :])[:, 0].mean()
    pi, mu, _ = bernoulli_mixture_em(X_train, n_components, random_state=random_state)
    # -log p(x) = -log sum_k pi_k p(x | mu_k)
    mixture = -logsumexp(np.log(pi) + _log_bernoulli(X_test, mu), axis=1).mean()
    return {"independent_bernoulli": float(independent), "bernoulli_mixture": float(mixture),
            "n_components": int(n_components), "n_train": int(n), "n_test": int(X_test.shape[0])}
