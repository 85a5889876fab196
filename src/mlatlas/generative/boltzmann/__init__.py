"""Boltzmann machines in NumPy: the fully connected machine, the RBM, the deep belief network.

``import mlatlas.generative.boltzmann`` needs no PyTorch.  Everything here is on the
scikit-learn estimator contract and saved with :func:`mlatlas.save_model`.

* :class:`BoltzmannMachine`: binary units with symmetric weights between every pair,
  learning from clamped and free Gibbs statistics; exact likelihood and gradient by
  enumeration on machines of at most 20 units.
* :class:`RBM`: Bernoulli-Bernoulli restricted Boltzmann machine (CD-k and PCD), with
  scikit-learn's ``BernoulliRBM`` names and pseudo-likelihood.
* :func:`ais_log_partition`, :func:`exact_log_partition`: log Z of an RBM by annealed
  importance sampling or by enumeration.
* :class:`DBN`, :class:`DBNClassifier`: greedy layer-wise stacks of RBMs; the classifier
  fine-tunes the stack with back-propagation on :mod:`mlatlas.nn`.
"""

from __future__ import annotations

from ..._lazy import lazy_exports

_WHERE = {
    "BoltzmannMachine": "bm",
    "RBM": "rbm",
    "DBN": "dbn",
    "DBNClassifier": "dbn",
    "ais_log_partition": "ais",
    "exact_log_partition": "ais",
    "ais_betas": "ais",
    "base_rate_biases": "ais",
    "free_energy": "ais",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _WHERE, submodules=("bm", "rbm", "dbn", "ais"))
