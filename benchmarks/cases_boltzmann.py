"""Boltzmann family: RBM and DBN likelihoods by AIS, the DBN classifier, RBM epoch time, AIS time.

Data: :func:`mlatlas.metrics.binarized_digits_split` (pixel > 8, halves stratified by
class) for the likelihoods; the digits / 16, half held out (stratified), for the
classifiers.  Quality figures are means over seeds: the harness runs each side once
untimed and ``repeats`` times timed, every run with the next seed.
"""

from __future__ import annotations

import warnings

import numpy as np

from .harness import case

#: AIS as the targets state them: 100 runs, 10,000 temperatures.
AIS_RUNS, AIS_BETAS = 100, 10_000


def _split():
    from mlatlas.metrics import binarized_digits_split

    X_train, X_test, _, _ = binarized_digits_split(0)
    return X_train.astype(np.float64), X_test.astype(np.float64)


def _rbm_nll(W, b, c, base, X_test, seed):
    from mlatlas.generative.boltzmann import ais_log_partition, free_energy

    log_Z, _ = ais_log_partition(W, b, c, base, n_runs=AIS_RUNS, n_betas=AIS_BETAS, random_state=seed)
    return float(np.mean(free_energy(X_test, W, b, c)) + log_Z)


# --------------------------------------------------------------------------- likelihoods
def _nll_setup(quick: bool):
    X_train, X_test = _split()
    return {"X_train": X_train, "X_test": X_test, "quick": quick, "ours": [], "reference": []}


def _running_mean(data, side, value):
    data[side].append(value)
    return float(np.mean(data[side]))


def _rbm_ours(data):
    from mlatlas.generative.boltzmann import RBM

    seed = len(data["ours"])
    model = RBM(random_state=seed, **({"n_iter": 50} if data["quick"] else {})).fit(data["X_train"])
    nll = _rbm_nll(model.components_, model.intercept_visible_, model.intercept_hidden_, model.base_rate_,
                   data["X_test"], seed)
    return _running_mean(data, "ours", nll)


def _rbm_reference(data):
    """scikit-learn's BernoulliRBM, same size, batch, epochs and learning rate, scored the same way."""
    from sklearn.neural_network import BernoulliRBM

    from mlatlas.generative.boltzmann import RBM, base_rate_biases

    seed = len(data["reference"])
    defaults = RBM().get_params()
    model = BernoulliRBM(n_components=defaults["n_components"], learning_rate=defaults["learning_rate"],
                         batch_size=defaults["batch_size"], n_iter=50 if data["quick"] else defaults["n_iter"],
                         random_state=seed).fit(data["X_train"])
    nll = _rbm_nll(model.components_, model.intercept_visible_, model.intercept_hidden_,
                   base_rate_biases(data["X_train"]), data["X_test"], seed)
    return _running_mean(data, "reference", nll)


case(name="RBM default (256 hidden, PCD-1), binarized digits: test -log p(x), AIS 100 x 10,000 "
          "(mean over 3 seeds; target <= 18.5 nats)",
     group="boltzmann", setup=_nll_setup, ours=_rbm_ours, reference=_rbm_reference,
     reference_name="sklearn BernoulliRBM (same size, batch, epochs, learning rate), same AIS",
     quality_name="test NLL (nats)", target=None, repeats=2, quality_higher_is_better=False)


def _dbn_ours(data):
    from mlatlas.generative.boltzmann import DBN, ais_log_partition, base_rate_biases

    seed = len(data["ours"])
    model = DBN(random_state=seed, **({"n_iter": 50} if data["quick"] else {})).fit(data["X_train"])
    top = model.rbms_[-1]
    below = model.rbms_[0].transform(data["X_train"])
    log_Z, _ = ais_log_partition(top.components_, top.intercept_visible_, top.intercept_hidden_,
                                 base_rate_biases(below), n_runs=AIS_RUNS, n_betas=AIS_BETAS, random_state=seed)
    bound = model.log_likelihood_lower_bound(data["X_test"], n_samples=100, log_Z=log_Z, random_state=seed)
    return _running_mean(data, "ours", float(-bound.mean()))


def _mixture_reference(data):
    from mlatlas.metrics import bernoulli_nll_baselines

    return bernoulli_nll_baselines(n_components=50)["bernoulli_mixture"]


case(name="DBN default (256, 256), binarized digits: test -log p(x) lower bound (K = 100, top log Z by AIS "
          "100 x 10,000; mean over 3 seeds; target <= 18.0 nats)",
     group="boltzmann", setup=_nll_setup, ours=_dbn_ours, reference=_mixture_reference,
     reference_name="mixture of 50 Bernoullis (EM)", quality_name="test NLL (nats)", target=None, repeats=2,
     quality_higher_is_better=False)


# --------------------------------------------------------------------------- classifier
def _classifier_setup(quick: bool):
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return {"X": X / 16.0, "y": y, "quick": quick, "ours": [], "reference": []}


def _classifier_split(data, seed):
    from sklearn.model_selection import train_test_split

    return train_test_split(data["X"], data["y"], test_size=0.5, stratify=data["y"], random_state=seed)


def _dbn_classifier(data):
    from mlatlas.generative.boltzmann import DBNClassifier

    seed = len(data["ours"])
    X_train, X_test, y_train, y_test = _classifier_split(data, seed)
    model = DBNClassifier(random_state=seed).fit(X_train, y_train)
    return _running_mean(data, "ours", float(model.score(X_test, y_test)))


def _mlp_classifier(data):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    from mlatlas.generative.boltzmann import DBNClassifier

    seed = len(data["reference"])
    X_train, X_test, y_train, y_test = _classifier_split(data, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPClassifier(DBNClassifier().hidden_layer_sizes, max_iter=500, random_state=seed).fit(X_train,
                                                                                                       y_train)
    return _running_mean(data, "reference", float(model.score(X_test, y_test)))


case(name="DBNClassifier default, digits / 16, half held out: test accuracy (mean over 3 seeds; "
          "target >= 0.975 and above the MLP)",
     group="boltzmann", setup=_classifier_setup, ours=_dbn_classifier, reference=_mlp_classifier,
     reference_name="sklearn MLPClassifier (same hidden layers, max_iter=500)", quality_name="test accuracy",
     target=None, repeats=2, quality_higher_is_better=True)


# --------------------------------------------------------------------------- speed
def _epoch_setup(quick: bool):
    X_train, X_test = _split()
    return {"X_train": X_train, "X_test": X_test, "n_iter": 3 if quick else 10}


def _epochs_ours(data):
    from mlatlas.generative.boltzmann import RBM

    model = RBM(n_components=256, batch_size=10, n_iter=data["n_iter"], k=1, random_state=0).fit(data["X_train"])
    return float(model.score_samples(data["X_test"]).mean())


def _epochs_reference(data):
    from sklearn.neural_network import BernoulliRBM

    model = BernoulliRBM(n_components=256, batch_size=10, n_iter=data["n_iter"], learning_rate=0.05,
                         random_state=0).fit(data["X_train"])
    return float(model.score_samples(data["X_test"]).mean())


case(name="RBM 256 hidden, batch 10, 1 Gibbs step (PCD), binarized digits (898): 10 epochs with the "
          "per-epoch history (1 BLAS thread)",
     group="boltzmann", setup=_epoch_setup, ours=_epochs_ours, reference=_epochs_reference,
     reference_name="sklearn BernoulliRBM (same size, batch, epochs)", quality_name="test pseudo-likelihood",
     target=1.0, repeats=5, quality_higher_is_better=True)


def _ais_setup(quick: bool):
    rng = np.random.default_rng(0)
    X_train, _ = _split()
    from mlatlas.generative.boltzmann import RBM

    model = RBM(n_components=256, n_iter=5 if quick else 30, random_state=0).fit(X_train)
    return {"model": model, "n_betas": 1000 if quick else AIS_BETAS, "rng": rng}


def _ais_fast(data):
    model = data["model"]
    return model.log_partition("ais", n_runs=AIS_RUNS, n_betas=data["n_betas"], random_state=0)[0]


def _ais_plain(data):
    from mlatlas.generative.boltzmann.ais import ais_log_partition_plain

    model = data["model"]
    return ais_log_partition_plain(model.components_, model.intercept_visible_, model.intercept_hidden_,
                                   model.base_rate_, n_runs=AIS_RUNS, n_betas=data["n_betas"], random_state=0)[0]


case(name="AIS, 100 runs x 10,000 temperatures, RBM 256 hidden x 64 pixels (target: ours under 30 s)",
     group="boltzmann", setup=_ais_setup, ours=_ais_fast, reference=_ais_plain,
     reference_name="the step-by-step AIS (ais_log_partition_plain)", quality_name="log Z",
     target=None, repeats=2, quality_higher_is_better=True)
