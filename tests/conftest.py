import os

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def rng():
    """A local generator; tests never touch NumPy's global seed."""
    return np.random.default_rng(12345)
