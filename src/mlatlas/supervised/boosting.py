r"""AdaBoost (discrete, two-class) and its multi-class form SAMME, with decision stumps.

Boosting fits weak learners one after another, each on a reweighted training set that
stresses the samples its predecessors got wrong, and adds them up with weights that
grow with their accuracy.

Two classes, y_i in {-1, +1} (Freund & Schapire, 1997)
------------------------------------------------------
Start with w_i = 1/n.  For rounds t = 1..T:

    fit h_t to the weighted sample                         (here: a depth-1 CART tree)
    eps_t   = sum_i w_i 1[h_t(x_i) != y_i]                 (weighted error, sum_i w_i = 1)
    alpha_t = 1/2 ln((1 - eps_t) / eps_t)                  (> 0 while eps_t < 1/2)
    w_i    <- w_i exp(-alpha_t y_i h_t(x_i)) / Z_t         (Z_t makes the weights sum to 1)

and predict H(x) = sign(sum_t alpha_t h_t(x)).  A correctly classified sample is
multiplied by exp(-alpha_t), a mistake by exp(+alpha_t); with learning rate 1 the
normaliser is Z_t = 2 sqrt(eps_t (1 - eps_t)), and after the update the last learner
has weighted error exactly 1/2 (it is no better than a coin on the new weights).

K classes: SAMME (Zhu, Zou, Rosset & Hastie, 2009)
--------------------------------------------------
The same loop with

    alpha_t = 1/2 * learning_rate * (ln((1 - eps_t) / eps_t) + ln(K - 1)),

which stays positive while eps_t < 1 - 1/K (better than guessing among K classes),
and the vote H(x) = argmax_k sum_t alpha_t 1[h_t(x) = k].  For K = 2 the ln(K - 1)
term is 0 and this is the two-class algorithm above.  A learner with
eps_t >= 1 - 1/K is discarded and boosting stops (an error if it is the first).  A
perfect learner (eps_t = 0) would get an infinite alpha: boosting stops there.

The factor 1/2 and scikit-learn
-------------------------------
scikit-learn's ``AdaBoostClassifier`` (SAMME) weighs learner t by

    beta_t = learning_rate * (ln((1 - eps_t) / eps_t) + ln(K - 1)) = 2 alpha_t

and multiplies only the misclassified weights by exp(beta_t).  Both give the same
normalised sample weights (a mistake gains the factor exp(2 alpha_t) relative to a
correct sample either way), the same errors, the same learners and the same votes:
scaling every weight by 2 changes no argmax and no sign.  ``estimator_weights_`` holds
scikit-learn's beta_t, so a drop-in user reads the same numbers; the notes' alpha_t
is ``alphas_`` (and ``alpha`` in ``history_``).  ``decision_function`` (which divides by
the sum of the weights) and ``predict_proba`` are equal to scikit-learn's.  A perfect
first stump gets weight 1 (alpha 1/2), as in scikit-learn: any positive weight gives
the same one-stump ensemble.

The decision function follows SAMME's coding: learner t votes +alpha_t for the class
it predicts and -alpha_t/(K-1) for every other class, and the sum is divided by
sum_t alpha_t, shape (n, K).  For two classes it is one column, the difference
class 1 minus class 0, i.e. 2 sum_t alpha_t h_t(x) / sum_t alpha_t with h in {-1, +1},
whose sign is the notes' H(x).  Probabilities are softmax(f(x) / (K - 1))
(two classes: sigmoid of the decision function).

References
----------
Y. Freund, R. Schapire, "A decision-theoretic generalization of on-line learning and
an application to boosting", J. Comput. Syst. Sci. 55 (1997).
J. Zhu, H. Zou, S. Rosset, T. Hastie, "Multi-class AdaBoost", Statistics and Its
Interface 2 (2009).
"""

from __future__ import annotations

import numbers
from typing import Any, Iterator

import numpy as np
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..base import History, check_random_state, check_sample_weight, check_scalar_param
from .tree import DecisionTreeClassifier, float32_features, presort

__all__ = ["AdaBoostClassifier"]


class AdaBoostClassifier(ClassifierMixin, BaseEstimator):
    """AdaBoost with decision stumps; SAMME for more than two classes.

    Parameters
    ----------
    n_estimators : int, default=50
        Largest number of boosting rounds (fewer if a stump is perfect or no better
        than chance).
    learning_rate : float > 0, default=1.0
        Shrinks every alpha_t (and so the reweighting).
    random_state : None, int or numpy.random.Generator
        Seeds the stumps (which only use it to break exact ties between features).

    Attributes
    ----------
    estimators_ : list of DecisionTreeClassifier
        The stumps (``max_depth=1``), trained on class indices 0..K-1.
    estimator_weights_ : ndarray (n_rounds,)
        SAMME weight beta_t = learning_rate * (ln((1 - eps_t)/eps_t) + ln(K - 1)) of each
        stump, as scikit-learn's ``estimator_weights_`` (twice the notes' alpha_t).
    alphas_ : ndarray (n_rounds,)
        The notes' alpha_t = beta_t / 2, i.e. 1/2 ln((1 - eps_t)/eps_t) with two classes
        and ``learning_rate=1`` (see the module docstring).
    estimator_errors_ : ndarray (n_rounds,)
        Weighted training error eps_t of each stump.
    classes_ : ndarray (n_classes,)
    n_classes_ : int
    n_features_in_ : int
    feature_importances_ : ndarray (n_features,)
        alpha-weighted mean of the stumps' importances.
    history_ : History
        One record per round: ``round``, ``error`` (eps_t), ``alpha``, ``Z`` (the
        normaliser of the weight update), ``train_error`` (of the ensemble so far) and
        ``sample_weight`` (the weights the stump was fitted with, summing to 1).

    Examples
    --------
    >>> from mlatlas.datasets import load
    >>> data = load("breast_cancer")
    >>> boost = AdaBoostClassifier(n_estimators=20, random_state=0).fit(data.X, data.y)
    >>> len(boost.estimators_), boost.score(data.X, data.y) > 0.95
    (20, True)
    """

    def __init__(self, n_estimators: int = 50, learning_rate: float = 1.0, random_state: Any = None):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.random_state = random_state

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> "AdaBoostClassifier":
        """Boost stumps on ``X`` (n_samples, n_features) and labels ``y``.

        ``sample_weight`` (optional, non-negative) sets the starting weights (normalised
        to sum to 1); it defaults to 1/n for every sample.
        """
        check_scalar_param(self.n_estimators, "n_estimators", kind=numbers.Integral, low=1)
        check_scalar_param(self.learning_rate, "learning_rate", kind=numbers.Real, low=0.0, low_inclusive=False)
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32))
        X = float32_features(X, order="F")
        check_classification_targets(y)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        K = self.n_classes_ = len(self.classes_)
        n = X.shape[0]

        if sample_weight is None:
            w = np.full(n, 1.0 / n)
        else:
            w = check_sample_weight(sample_weight, n)
            w /= w.sum()
        dropped = w == 0  # samples the user gave weight 0 stay out
        tiny = np.finfo(np.float64).eps

        rng = check_random_state(self.random_state)
        order = presort(X)  # sorted once, shared by every stump
        X_rows = np.ascontiguousarray(X)  # row-major copy for predicting
        self.estimators_, alphas, errors = [], [], []
        self.history_ = History()
        votes = np.zeros((n, K))  # running sum_t alpha_t * code(h_t(x_i)), for train_error
        for t in range(self.n_estimators):
            # a weight that underflowed to 0 would drop its sample from the stump's search
            w = np.where(dropped, 0.0, np.maximum(w, tiny))
            stump = DecisionTreeClassifier(max_depth=1, random_state=int(rng.integers(np.iinfo(np.int32).max)))
            stump.fit(X, y_index, sample_weight=w, presorted=order, check_input=False)
            wrong = stump.predict(X_rows, check_input=False) != y_index
            # eps_t = sum_i w_i 1[h_t(x_i) != y_i] / sum_i w_i
            error = float(np.dot(w, wrong) / w.sum())
            if error <= 0.0:
                # perfect stump: alpha would be infinite; any positive weight gives the
                # same ensemble if it is the first (see the module docstring)
                alpha, Z = 0.5, 1.0
                self._keep(stump, alpha, error, alphas, errors, votes, y_index, w, Z, X_rows)
                break
            if error >= 1.0 - 1.0 / K:
                if not self.estimators_:
                    raise ValueError(
                        f"the first stump's weighted error {error:.4f} is no better than chance "
                        f"(1 - 1/K = {1 - 1 / K:.4f}); AdaBoost cannot start.")
                break  # discard it and stop: later rounds would not change the weights
            # alpha_t = 1/2 * eta * (ln((1 - eps)/eps) + ln(K - 1))
            alpha = 0.5 * self.learning_rate * (np.log((1.0 - error) / error) + np.log(K - 1.0))
            # w_i <- w_i exp(alpha_t * (+1 if wrong else -1)), i.e. exp(-alpha y h) for two classes
            new_w = w * np.exp(np.where(wrong, alpha, -alpha))
            Z = float(new_w.sum())
            self._keep(stump, alpha, error, alphas, errors, votes, y_index, w, Z, X_rows)
            if not np.isfinite(Z) or Z <= 0:
                break
            w = new_w / Z
        self.alphas_ = np.asarray(alphas)
        # scikit-learn's SAMME weight: beta_t = 2 alpha_t
        self.estimator_weights_ = 2.0 * self.alphas_
        self.estimator_errors_ = np.asarray(errors)
        importances = np.sum([a * s.feature_importances_ for a, s in zip(alphas, self.estimators_)], axis=0)
        total = importances.sum()
        self.feature_importances_ = importances / total if total > 0 else np.zeros(X.shape[1])
        return self

    def _keep(self, stump, alpha, error, alphas, errors, votes, y_index, w, Z, X_rows) -> None:
        """Add a round's stump to the ensemble and record it."""
        self.estimators_.append(stump)
        alphas.append(float(alpha))
        errors.append(float(error))
        votes += alpha * self._code(stump.predict(X_rows, check_input=False))
        self.history_.record(round=len(alphas), error=float(error), alpha=float(alpha), Z=float(Z),
                             train_error=float(np.mean(np.argmax(votes, axis=1) != y_index)),
                             sample_weight=w / w.sum())

    def _code(self, pred_index: np.ndarray) -> np.ndarray:
        """SAMME coding of predictions: +1 at the predicted class, -1/(K-1) elsewhere, (n, K)."""
        K = self.n_classes_
        code = np.full((pred_index.shape[0], K), -1.0 / max(K - 1, 1))
        code[np.arange(pred_index.shape[0]), pred_index] = 1.0
        return code

    # ----------------------------------------------------------------- predict
    def _validate(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "estimators_")
        X = validate_data(self, X, dtype=np.float32, reset=False)
        return np.ascontiguousarray(X, dtype=np.float32)

    def _finish(self, votes: np.ndarray, alpha_sum: float) -> np.ndarray:
        decision = votes / alpha_sum
        if self.n_classes_ == 2:
            return decision[:, 1] - decision[:, 0]  # (n,): > 0 means classes_[1]
        return decision

    def staged_decision_function(self, X: Any) -> Iterator[np.ndarray]:
        """The decision function after each round (see :meth:`decision_function`)."""
        X = self._validate(X)
        votes = np.zeros((X.shape[0], self.n_classes_))
        alpha_sum = 0.0
        # the vote is divided by the sum of the weights: beta_t or alpha_t alike
        for stump, alpha in zip(self.estimators_, self.estimator_weights_):
            votes += alpha * self._code(stump.predict(X, check_input=False))
            alpha_sum += alpha
            yield self._finish(votes, alpha_sum)

    def decision_function(self, X: Any) -> np.ndarray:
        """Normalised weighted vote: (n_samples,) for two classes, else (n_samples, K).

        f_k(x) = sum_t alpha_t c_k(h_t(x)) / sum_t alpha_t with c_k = 1 for the predicted
        class and -1/(K-1) otherwise; for two classes f = f_1 - f_0.
        """
        out = None
        for out in self.staged_decision_function(X):
            pass
        return out

    def _labels(self, decision: np.ndarray) -> np.ndarray:
        if self.n_classes_ == 1:
            return np.repeat(self.classes_, decision.shape[0])
        if self.n_classes_ == 2:
            return self.classes_[(decision > 0).astype(int)]
        return self.classes_[np.argmax(decision, axis=1)]

    def predict(self, X: Any) -> np.ndarray:
        """H(x): the sign of the vote (two classes; 0 goes to ``classes_[0]``) or its argmax."""
        return self._labels(self.decision_function(X))

    def staged_predict(self, X: Any) -> Iterator[np.ndarray]:
        """Predictions of the ensemble of the first 1, 2, ... stumps."""
        for decision in self.staged_decision_function(X):
            yield self._labels(decision)

    def _proba(self, decision: np.ndarray) -> np.ndarray:
        if self.n_classes_ == 1:
            return np.ones((decision.shape[0], 1))
        if self.n_classes_ == 2:
            # p = softmax([-f, f] / 2): the sigmoid of f
            return softmax(np.column_stack([-decision, decision]) / 2.0, axis=1)
        # p_k = softmax(f / (K - 1))_k
        return softmax(decision / (self.n_classes_ - 1), axis=1)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities softmax(f(x) / (K - 1)), (n_samples, n_classes)."""
        return self._proba(self.decision_function(X))

    def staged_predict_proba(self, X: Any) -> Iterator[np.ndarray]:
        for decision in self.staged_decision_function(X):
            yield self._proba(decision)

    def staged_score(self, X: Any, y: Any) -> Iterator[float]:
        """Accuracy on (X, y) after each round."""
        y = np.asarray(y)
        for pred in self.staged_predict(X):
            yield float(np.mean(pred == y))
