import numbers
import re

import numpy as np
import pytest

from mlatlas.base import (History, InvalidParameterError, check_bool, check_count_or_fraction, check_option,
                          check_random_state, check_sample_weight, check_scalar_param, max_abs,
                          overflow_safe_scale)


def test_random_state_gives_local_reproducible_generators():
    state = np.random.get_state()[1].copy()
    a = check_random_state(7).normal(size=5)
    b = check_random_state(7).normal(size=5)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # global seed untouched
    gen = np.random.default_rng(1)
    assert check_random_state(gen) is gen
    assert isinstance(check_random_state(np.random.RandomState(3)), np.random.Generator)


@pytest.mark.parametrize("bad", [-1, 1.5, "seed", True])
def test_random_state_rejects_bad_values(bad):
    with pytest.raises((TypeError, ValueError), match="random_state"):
        check_random_state(bad)


def test_scalar_checks_name_the_parameter():
    assert check_scalar_param(2, "k", kind=numbers.Integral, low=1) == 2
    with pytest.raises(ValueError, match=r"^k must be an int >= 1; got 0\.$"):
        check_scalar_param(0, "k", kind=numbers.Integral, low=1)
    with pytest.raises(TypeError, match=r"^k must be an int; got float 2\.5\.$"):
        check_scalar_param(2.5, "k", kind=numbers.Integral)
    with pytest.raises(ValueError, match=r"^tol must be a finite real number > 0; got 0\.0\.$"):
        check_scalar_param(0.0, "tol", low=0, low_inclusive=False)
    with pytest.raises(ValueError, match=r"^f must be a finite real number in \(0, 1\]; got 1\.5\.$"):
        check_scalar_param(1.5, "f", low=0, high=1, low_inclusive=False)
    with pytest.raises(TypeError, match="C must be a finite real number; got bool True"):
        check_scalar_param(True, "C")
    assert check_scalar_param(None, "max_depth", allow_none=True) is None
    with pytest.raises(TypeError, match=r"max_depth must be an int >= 1, or None; got str 'deep'"):
        check_scalar_param("deep", "max_depth", kind=numbers.Integral, low=1, allow_none=True)


@pytest.mark.parametrize("bad", [float("nan"), np.nan, np.float32("nan"), float("inf"), -np.inf])
def test_scalar_checks_refuse_nan_always_and_inf_unless_allowed(bad):
    # no bound at all: NaN and infinities are still refused
    with pytest.raises(ValueError, match=r"^C must be a finite real number; got (nan|inf|-inf)\.$"):
        check_scalar_param(bad, "C")
    # an int parameter given a non-finite float: a ValueError (and a TypeError) naming it
    with pytest.raises(ValueError, match=r"^n must be an int >= 1; got float(32)? (nan|inf|-inf)\.$"):
        check_scalar_param(bad, "n", kind=numbers.Integral, low=1)


def test_scalar_checks_allow_inf_where_asked():
    assert check_scalar_param(np.inf, "C", low=0, low_inclusive=False, allow_inf=True) == np.inf
    with pytest.raises(ValueError, match=r"^C must be a real number > 0 or inf; got nan\.$"):
        check_scalar_param(np.nan, "C", low=0, low_inclusive=False, allow_inf=True)
    with pytest.raises(ValueError, match=r"^C must be a real number > 0 or inf; got -inf\.$"):
        check_scalar_param(-np.inf, "C", low=0, low_inclusive=False, allow_inf=True)
    # huge ints are compared exactly, never converted to float
    assert check_scalar_param(10**400, "n", kind=numbers.Integral, low=1) == 10**400


def test_parameter_errors_are_value_and_type_errors():
    assert issubclass(InvalidParameterError, ValueError)
    assert issubclass(InvalidParameterError, TypeError)
    with pytest.raises(InvalidParameterError):
        check_option("c", "solver", ("a", "b"))
    with pytest.raises(InvalidParameterError):
        check_random_state(float("nan"))


def test_count_or_fraction():
    assert check_count_or_fraction(2, "s", min_count=2) == 2
    assert check_count_or_fraction(1.0, "s", min_count=2) == 1.0
    assert check_count_or_fraction(None, "m", allow_none=True) is None
    message = r"^s must be an int >= 2 or a real number in \(0, 1\]; got "
    for bad, shown in [(1, "1"), (0.0, "0.0"), (1.5, "1.5"), (np.nan, "nan"), ("a", "str 'a'")]:
        with pytest.raises(ValueError, match=message + re.escape(shown) + r"\.$"):
            check_count_or_fraction(bad, "s", min_count=2)
    with pytest.raises(ValueError, match=r"in \(0, 1\); got 1\.0"):
        check_count_or_fraction(1.0, "leaf", fraction_high_inclusive=False)


def test_bool_check():
    assert check_bool(np.bool_(False), "shuffle") is False
    for bad in (1, np.nan, "yes", None):
        with pytest.raises(ValueError, match="^shuffle must be True or False; got "):
            check_bool(bad, "shuffle")


def test_sample_weight_check_messages():
    np.testing.assert_array_equal(check_sample_weight(None, 3), np.ones(3))
    np.testing.assert_array_equal(check_sample_weight(2, 3), np.full(3, 2.0))
    given = np.array([1.0, 0.0, 3.0])
    out = check_sample_weight(given, 3)
    np.testing.assert_array_equal(out, given)
    out[0] = 5.0
    assert given[0] == 1.0  # a copy: callers may scale it in place
    cases = [
        (np.ones(4), r"^sample_weight must have shape \(3,\), one weight per sample; got shape \(4,\)\.$"),
        (np.ones((3, 1)), r"got shape \(3, 1\)\.$"),
        ([1.0, np.nan, np.inf], r"^sample_weight must be finite; got 2 NaN or infinite value\(s\)\.$"),
        ([1.0, -2.0, 0.5], r"^sample_weight must be non-negative; got a minimum of -2\.0\.$"),
        ([0, 0, 0], r"^sample_weight must not be all zero; got a total weight of 0\.$"),
        ([1e308, 1e308, 1e308], r"^sample_weight is too large: the sum of the weights overflows"),
        (["a", "b", "c"], r"^sample_weight must be an array of 3 real numbers"),
    ]
    for weights, message in cases:
        with pytest.raises(ValueError, match=message):
            check_sample_weight(weights, 3)


def test_overflow_safe_scale():
    # ordinary magnitudes: no scaling at all
    for largest in (0.0, 1e-100, 1.0, 255.0, 1e100):
        assert overflow_safe_scale(largest, 64) == 1.0
    for largest in (1e150, 1e300, 1e-160, 5e-324):
        s = overflow_safe_scale(largest, 64)
        assert s != 1.0 and np.log2(s).is_integer()  # a power of two: dividing by it is exact
        assert 0.5 <= largest / s < 1.0
    # the power matters: p = 3 overflows earlier than squares, p = 1 later
    assert overflow_safe_scale(1e120, 4, power=2.0) == 1.0
    assert overflow_safe_scale(1e120, 4, power=3.0) != 1.0
    assert overflow_safe_scale(1e250, 4, power=1.0) == 1.0
    assert overflow_safe_scale(1e250, 4, power=np.inf) == 1.0
    assert overflow_safe_scale(np.inf, 4) == 1.0  # not for non-finite input
    assert max_abs(np.array([[1.0, -7.0]])) == 7.0 and max_abs(np.empty((0, 3))) == 0.0


def test_option_check_lists_allowed_values():
    with pytest.raises(ValueError, match=r"solver must be one of 'a', 'b'; got 'c'"):
        check_option("c", "solver", ("a", "b"))
    with pytest.raises(ValueError):
        check_option(1, "flag", (True, False))  # 1 == True but is not a bool


def test_history_records_and_columns():
    h = History()
    for i in range(3):
        h.record(step=i, loss=1.0 / (i + 1))
    assert len(h) == 3
    np.testing.assert_allclose(h.column("loss"), [1.0, 0.5, 1 / 3])
