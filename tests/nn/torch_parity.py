"""Shared helpers of the tests that compare mlatlas.nn with PyTorch.

``torch`` is None where PyTorch is not installed; the tests that need it carry
``@needs_torch`` and skip alone, so the NumPy-only tests of the same files still run.
"""

import numpy as np
import pytest

try:
    import torch
except ImportError:
    torch = None

#: marks a test that compares with PyTorch (skipped, alone, where torch is absent)
needs_torch = pytest.mark.skipif(torch is None, reason="needs torch (a parity test against PyTorch)")


def rel_err(ours, ref):
    """max |ours - ref| / max |ref| (norm-wise relative error); the shapes must agree."""
    ours = np.asarray(ours, dtype=np.float64)
    ref = ref.detach().numpy() if hasattr(ref, "detach") else np.asarray(ref, dtype=np.float64)
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    return float(np.max(np.abs(ours - ref)) / max(np.max(np.abs(ref)), 1e-300))
