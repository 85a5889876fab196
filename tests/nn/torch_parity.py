"""Shared helper of the tests that compare mlatlas.nn with PyTorch."""

import numpy as np


def rel_err(ours, ref):
    """max |ours - ref| / max |ref| (norm-wise relative error); the shapes must agree."""
    ours = np.asarray(ours, dtype=np.float64)
    ref = ref.detach().numpy() if hasattr(ref, "detach") else np.asarray(ref, dtype=np.float64)
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    return float(np.max(np.abs(ours - ref)) / max(np.max(np.abs(ref)), 1e-300))
