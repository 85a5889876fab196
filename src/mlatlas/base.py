"""Helpers shared by every estimator: parameter checks, random generators, training history.

Every estimator in mlatlas follows scikit-learn's contract (``BaseEstimator`` plus the
right mixin, ``fit`` returns ``self``, fitted attributes end in ``_``).  This module
holds the few pieces they all need so that each algorithm file can stay about its maths:

* :func:`check_scalar_param`, :func:`check_option` and :func:`check_random_state` check
  the constructor parameters; a bad one raises :class:`InvalidParameterError` naming it,
  what was expected and what came.  NaN is refused for every number, infinity unless
  the parameter gives it a meaning.
* :func:`check_sample_weight` is the one check of ``sample_weight``.
* :func:`max_abs` and :func:`overflow_safe_scale` let the distance and kernel code work
  on data so large (or so small) that squaring them would overflow (or underflow).
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any, Iterable

import numpy as np
from sklearn.exceptions import ConvergenceWarning

__all__ = [
    "ConvergenceWarning",
    "InvalidParameterError",
    "check_random_state",
    "check_scalar_param",
    "check_count_or_fraction",
    "check_option",
    "check_bool",
    "check_sample_weight",
    "max_abs",
    "overflow_safe_scale",
    "History",
    "warn_not_converged",
]


class InvalidParameterError(ValueError, TypeError):
    """A constructor parameter has a wrong value or a wrong type.

    It is both a :class:`ValueError` and a :class:`TypeError` (as scikit-learn's error of
    the same name), so code catching either keeps working whichever check fired.
    """


def _show(value: Any, typed: bool = False) -> str:
    """A value as messages print it: numbers plainly (``nan``, ``1e+300``), with its type if asked."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        plain = repr(int(value))
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        plain = repr(float(value))
    else:
        return f"{type(value).__name__} {value!r}"
    return f"{type(value).__name__} {plain}" if typed else plain


def _bound(x: float) -> str:
    """A bound as messages print it: ``0`` rather than ``0.0``, ``1e-06`` as it is."""
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


def _expected(kind, low, high, low_inclusive, high_inclusive, allow_inf, allow_none) -> str:
    """The phrase after "must be": "a finite real number > 0", "an int in [1, 10]"..."""
    if kind is numbers.Integral:
        what = "an int"
    else:
        what = "a real number" if allow_inf else "a finite real number"
    if low is not None and high is not None:
        what += (f" in {'[' if low_inclusive else '('}{_bound(low)}, "
                 f"{_bound(high)}{']' if high_inclusive else ')'}")
    elif low is not None:
        what += f" {'>=' if low_inclusive else '>'} {_bound(low)}"
    elif high is not None:
        what += f" {'<=' if high_inclusive else '<'} {_bound(high)}"
    if allow_inf:
        what += " or inf" if high is None else " or -inf"
    if allow_none:
        what += ", or None"
    return what


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
    allow_inf: bool = False,
) -> Any:
    """Check one numeric hyper-parameter and raise a message naming it.

    Parameters
    ----------
    value : object
        The parameter's value.
    name : str
        The parameter's name, for the message.
    kind : numbers.Integral or numbers.Real, default=numbers.Real
        Booleans are refused for both.
    low, high : float, optional
        Bounds, inclusive unless ``low_inclusive`` / ``high_inclusive`` is False.
    allow_none : bool, default=False
        Accept ``None`` (returned unchanged).
    allow_inf : bool, default=False
        Accept an infinity (within the bounds) where the parameter gives it a meaning,
        such as ``C=inf`` for a hard margin.  NaN is refused always.

    Returns
    -------
    value
        Unchanged, so that the check can be used inline.

    Raises
    ------
    InvalidParameterError
        A :class:`ValueError` and :class:`TypeError` whose message names the parameter,
        what it must be and what it got: ``"C must be a finite real number > 0; got nan."``

    Examples
    --------
    >>> check_scalar_param(3, "n_neighbors", kind=numbers.Integral, low=1)
    3
    >>> check_scalar_param(float("nan"), "C", low=0, low_inclusive=False)
    Traceback (most recent call last):
    ...
    mlatlas.base.InvalidParameterError: C must be a finite real number > 0; got nan.
    """
    if value is None and allow_none:
        return value
    expected = _expected(kind, low, high, low_inclusive, high_inclusive, allow_inf, allow_none)
    problem = f"{name} must be {expected}; got {_show(value)}."
    if isinstance(value, bool) or not isinstance(value, kind):
        raise InvalidParameterError(f"{name} must be {expected}; got {_show(value, typed=True)}.")
    if not isinstance(value, numbers.Integral) and (
            math.isnan(value) or (math.isinf(value) and not allow_inf)):
        raise InvalidParameterError(problem)
    if low is not None and (value < low or (value == low and not low_inclusive)):
        raise InvalidParameterError(problem)
    if high is not None and (value > high or (value == high and not high_inclusive)):
        raise InvalidParameterError(problem)
    return value


def check_count_or_fraction(
    value: Any,
    name: str,
    *,
    min_count: int = 1,
    fraction_high_inclusive: bool = True,
    allow_none: bool = False,
) -> Any:
    """Check a number of samples given either as a count or as a share of the samples.

    An int must be ``>= min_count``; a float must lie in (0, 1] (or (0, 1) when
    ``fraction_high_inclusive`` is False).  Returns the value unchanged.

    Examples
    --------
    >>> check_count_or_fraction(0.25, "min_samples_split", min_count=2)
    0.25
    >>> check_count_or_fraction(float("nan"), "min_samples_split", min_count=2)
    Traceback (most recent call last):
    ...
    mlatlas.base.InvalidParameterError: min_samples_split must be an int >= 2 or a real number in (0, 1]; got nan.
    """
    if value is None and allow_none:
        return value
    is_int = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    is_real = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if is_int:
        valid = value >= min_count
    elif is_real:
        valid = 0 < value < 1 or (fraction_high_inclusive and value == 1)
    else:
        valid = False
    if not valid:
        share = f"(0, 1{']' if fraction_high_inclusive else ')'}"
        raise InvalidParameterError(
            f"{name} must be an int >= {min_count} or a real number in {share}"
            f"{', or None' if allow_none else ''}; got {_show(value, typed=not is_real)}.")
    return value


def check_option(value: Any, name: str, options: Iterable[Any]) -> Any:
    """Check that ``value`` is one of ``options``; the error lists the allowed ones.

    Raises :class:`InvalidParameterError` otherwise (``1`` is not ``True``: the type has
    to match too).

    Examples
    --------
    >>> check_option("gd", "solver", ("lstsq", "gd"))
    'gd'
    """
    options = tuple(options)
    if not any(value == option and type(value) is type(option) for option in options):
        allowed = ", ".join(repr(o) for o in options)
        raise InvalidParameterError(f"{name} must be one of {allowed}; got {value!r}.")
    return value


def check_bool(value: Any, name: str) -> bool:
    """Check that ``value`` is a bool (Python's or NumPy's) and return it as a Python bool.

    Examples
    --------
    >>> check_bool(np.True_, "shuffle")
    True
    """
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidParameterError(f"{name} must be True or False; got {_show(value, typed=True)}.")
    return bool(value)


def check_random_state(random_state: Any) -> np.random.Generator:
    """Turn ``random_state`` into a local :class:`numpy.random.Generator`.

    Parameters
    ----------
    random_state : None, int or numpy.random.Generator or numpy.random.RandomState
        ``None`` gives fresh entropy, an int a reproducible stream, a Generator is
        used as it is.  The global NumPy seed is never read or written.

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    InvalidParameterError
        For anything else (a negative int, a float, a string...).

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
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool) and random_state >= 0:
        return np.random.default_rng(int(random_state))
    raise InvalidParameterError(
        "random_state must be None, a non-negative int or a numpy Generator; "
        f"got {_show(random_state, typed=True)}."
    )


def check_1d_array(x: Any, name: str, *, min_length: int = 1) -> np.ndarray:
    """A finite float64 array of shape (n,), n >= ``min_length``; one row or column is flattened.

    The one check of a 1-D sample or series (``mle``'s samples, ``ar``'s series).  Raises
    ``TypeError`` for values that are not numbers and ``ValueError`` (naming ``name``)
    for another shape, too few values or NaN/infinity.

    Examples
    --------
    >>> check_1d_array([[1], [2], [3]], "y").tolist()
    [1.0, 2.0, 3.0]
    """
    if x is None:
        raise ValueError(f"{name} must be a 1-D array of numbers; got None.")
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a 1-D array of numbers; got {type(x).__name__} that cannot be "
                        "converted to float.") from None
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array (or a single row or column); got an array of shape "
                         f"{arr.shape}.")
    if arr.shape[0] < min_length:
        least = "one value" if min_length == 1 else f"{min_length} values"
        raise ValueError(f"{name} must hold at least {least}; got {arr.shape[0]}.")
    bad = int(np.count_nonzero(~np.isfinite(arr)))
    if bad:
        raise ValueError(f"{name} must be finite; got {bad} NaN or infinite value(s).")
    return arr


def check_sample_weight(sample_weight: Any, n_samples: int) -> np.ndarray:
    """The one check of ``sample_weight``: a fresh float64 vector of ``n_samples`` weights.

    Parameters
    ----------
    sample_weight : None, a real number or array-like of shape (n_samples,)
        ``None`` gives ones; a single number is used for every sample.
    n_samples : int
        The number of rows of ``X``.

    Returns
    -------
    ndarray of shape (n_samples,), float64
        A copy: callers may scale it in place.

    Raises
    ------
    ValueError
        When the weights are not one per sample, not finite, negative, all zero, or so
        large that their sum overflows.

    Examples
    --------
    >>> check_sample_weight([1, 0, 2], 3).tolist()
    [1.0, 0.0, 2.0]
    >>> check_sample_weight([1.0, -1.0], 2)
    Traceback (most recent call last):
    ...
    ValueError: sample_weight must be non-negative; got a minimum of -1.0.
    """
    if sample_weight is None:
        return np.ones(n_samples)
    if isinstance(sample_weight, numbers.Real) and not isinstance(sample_weight, bool):
        weights = np.full(n_samples, float(sample_weight))
    else:
        try:
            weights = np.array(sample_weight, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"sample_weight must be an array of {n_samples} real numbers (one per sample); "
                f"got {type(sample_weight).__name__}.") from None
        if weights.shape != (n_samples,):
            raise ValueError(
                f"sample_weight must have shape ({n_samples},), one weight per sample; "
                f"got shape {weights.shape}.")
    finite = np.isfinite(weights)
    if not finite.all():
        raise ValueError(
            f"sample_weight must be finite; got {int((~finite).sum())} NaN or infinite value(s).")
    if n_samples and weights.min() < 0:
        raise ValueError(f"sample_weight must be non-negative; got a minimum of {float(weights.min())!r}.")
    with np.errstate(over="ignore"):
        total = weights.sum()
    if not total > 0:
        raise ValueError("sample_weight must not be all zero; got a total weight of 0.")
    if not np.isfinite(total):
        raise ValueError(
            "sample_weight is too large: the sum of the weights overflows float64; "
            "divide them by their largest value.")
    return weights


# ---------------------------------------------------------------------------
# Large and small inputs
# ---------------------------------------------------------------------------

# Squares and other powers of the data are kept within 2^-_SAFE_EXPONENT .. 2^_SAFE_EXPONENT:
# float64 runs from 2^-1022 (smallest normal number) to 2^1024, so sums of many such terms
# neither overflow nor lose bits in subnormal numbers.
_SAFE_EXPONENT = 960


def max_abs(X: np.ndarray) -> float:
    """``max |X|`` over all entries (0.0 for an empty array), without a temporary copy.

    Examples
    --------
    >>> max_abs(np.array([[1.0, -3.0], [2.0, 0.5]]))
    3.0
    """
    if X.size == 0:
        return 0.0
    return float(max(X.max(), -X.min()))


def overflow_safe_scale(largest: float, n_features: int = 1, power: float = 2.0) -> float:
    """A power of two to divide the data by before squaring, or 1.0 when none is needed.

    Distances and kernels add up ``n_features`` terms of size up to ``(2 m)^power``
    (``m = largest``, the largest absolute entry; ``power=2`` for squared Euclidean
    distances and dot products).  When that could overflow float64, or the terms would
    fall below its normal range, computing on ``X / s`` with ``s = 2^e``,
    ``2^(e-1) <= m < 2^e`` (``e <= 1023``), keeps every term near 1.  Dividing by a power of two is exact,
    and so is multiplying a result back (``d(x, y) = s d(x / s, y / s)``), so on ordinary
    data (for which this returns 1.0 and nothing is scaled) nothing changes at all.

    Parameters
    ----------
    largest : float
        ``max |x|`` over the data (an upper bound is fine).
    n_features : int, default=1
        Terms per sum.
    power : float, default=2.0
        The power the differences are raised to (1 and inf: no power).

    Returns
    -------
    float
        1.0, or the power of two ``s``.

    Examples
    --------
    >>> overflow_safe_scale(10.0, 64)
    1.0
    >>> s = overflow_safe_scale(1e200, 64)
    >>> 0.5 <= 1e200 / s < 1.0
    True
    """
    if not (largest > 0 and math.isfinite(largest)):
        return 1.0
    p = 1.0 if (power == math.inf or power < 1) else float(power)
    exponent = math.frexp(largest)[1]  # largest < 2^exponent
    # log2 of the largest term's sum, (2 m)^p * n_features, and of the smallest of interest, m^p
    top = p * (exponent + 1) + math.log2(max(n_features, 1))
    bottom = p * (exponent - 1)
    if top < _SAFE_EXPONENT and bottom > -_SAFE_EXPONENT:
        return 1.0
    # 2^1024 itself is beyond float64: the largest numbers are divided by 2^1023, to [0.5, 2)
    return math.ldexp(1.0, min(exponent, 1023))


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
