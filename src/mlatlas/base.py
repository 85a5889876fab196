"""Helpers shared by every estimator: random generators, training history, validation glue.

Every estimator in mlatlas follows scikit-learn's contract (``BaseEstimator`` plus the
right mixin, ``fit`` returns ``self``, fitted attributes end in ``_``).  This module
holds the few pieces they all need so that each algorithm file can stay about its maths.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any, Iterable

import numpy as np
from sklearn.exceptions import ConvergenceWarning

__all__ = [
    "ConvergenceWarning",
    "check_random_state",
    "check_scalar_param",
    "check_option",
    "History",
    "warn_not_converged",
]


def check_random_state(random_state: Any) -> np.random.Generator:
    """Turn ``random_state`` into a local :class:`numpy.random.Generator`.

    Parameters
    ----------
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState
        ``None`` gives fresh entropy, an int a reproducible stream, a Generator is
        used as it is.  The global NumPy seed is never read or written.

    Returns
    -------
    numpy.random.Generator

    Examples
    --------
    >>> rng = check_random_state(0)
    >>> float(rng.random()) == float(check_random_state(0).random())
    True
    """
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        # Derive a Generator from the legacy state so both stay reproducible.
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(
                f"random_state must be None, a non-negative int or a numpy Generator; got {random_state!r}."
            )
        return np.random.default_rng(int(random_state))
    raise TypeError(
        "random_state must be None, a non-negative int or a numpy Generator; "
        f"got {type(random_state).__name__} {random_state!r}."
    )


def check_scalar_param(
    value: Any,
    name: str,
    *,
    kind: type | tuple[type, ...] = numbers.Real,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    allow_none: bool = False,
) -> Any:
    """Check one numeric hyper-parameter and raise a message naming it.

    ``kind`` is ``numbers.Integral`` or ``numbers.Real`` (booleans are refused for both).
    Returns the value unchanged so that it can be used inline.

    Examples
    --------
    >>> check_scalar_param(3, "n_neighbors", kind=numbers.Integral, low=1)
    3
    """
    if value is None and allow_none:
        return value
    if isinstance(value, bool) or not isinstance(value, kind):
        kind_name = "an int" if kind is numbers.Integral else "a real number"
        raise TypeError(f"{name} must be {kind_name}; got {type(value).__name__} {value!r}.")
    if low is not None and (value < low or (value == low and not low_inclusive)):
        bound = ">=" if low_inclusive else ">"
        raise ValueError(f"{name} must be {bound} {low}; got {value!r}.")
    if high is not None and (value > high or (value == high and not high_inclusive)):
        bound = "<=" if high_inclusive else "<"
        raise ValueError(f"{name} must be {bound} {high}; got {value!r}.")
    return value


def check_option(value: Any, name: str, options: Iterable[Any]) -> Any:
    """Check that ``value`` is one of ``options``; the error lists the allowed ones.

    Examples
    --------
    >>> check_option("gd", "solver", ("lstsq", "gd"))
    'gd'
    """
    options = tuple(options)
    if not any(value == option and type(value) is type(option) for option in options):
        allowed = ", ".join(repr(o) for o in options)
        raise ValueError(f"{name} must be one of {allowed}; got {value!r}.")
    return value


class History(list):
    """A list of per-iteration records, one ``dict`` per iteration or epoch.

    It is a plain list (so it saves, prints and indexes like one) with two helpers
    for learners: :meth:`record` and :meth:`column`.

    Examples
    --------
    >>> h = History()
    >>> h.record(loss=2.0); h.record(loss=1.5)
    >>> h.column("loss").tolist()
    [2.0, 1.5]
    """

    def record(self, **values: Any) -> None:
        """Append one iteration's values."""
        self.append(dict(values))

    def column(self, key: str) -> np.ndarray:
        """All recorded values of ``key`` as an array (in iteration order)."""
        return np.asarray([row[key] for row in self])


def warn_not_converged(estimator: Any, max_iter: int, detail: str = "") -> None:
    """Issue the :class:`ConvergenceWarning` all iterative estimators use."""
    message = (
        f"{type(estimator).__name__} did not converge within max_iter={max_iter} iterations"
        + (f" ({detail})" if detail else "")
        + "; increase max_iter or loosen tol."
    )
    warnings.warn(message, ConvergenceWarning, stacklevel=3)
