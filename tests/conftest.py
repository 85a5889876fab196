import os

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def rng():
    """A local generator; tests never touch NumPy's global seed."""
    return np.random.default_rng(12345)


# Property-based tests (tests/fuzz, tests/core/test_persistence_fuzz.py): a bounded default
# profile for `make test`, and a long one for the benchmarks run (HYPOTHESIS_PROFILE=long).
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("default", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("long", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
