import numbers

import numpy as np
import pytest

from mlatlas.base import History, check_option, check_random_state, check_scalar_param


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
    with pytest.raises(ValueError, match=r"k must be >= 1; got 0"):
        check_scalar_param(0, "k", kind=numbers.Integral, low=1)
    with pytest.raises(TypeError, match="k must be an int"):
        check_scalar_param(2.5, "k", kind=numbers.Integral)
    with pytest.raises(ValueError, match=r"tol must be > 0"):
        check_scalar_param(0.0, "tol", low=0, low_inclusive=False)
    with pytest.raises(TypeError):
        check_scalar_param(True, "C")
    assert check_scalar_param(None, "max_depth", allow_none=True) is None


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
