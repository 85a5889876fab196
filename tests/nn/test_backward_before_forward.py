"""``backward`` before any ``forward`` is one clear RuntimeError, for every module that caches.

Every exported module class is found from ``mlatlas.nn``; each needs an entry in
``EXAMPLES`` (how to build one and an input for it), so a new layer cannot be left out.
"""

import numpy as np
import pytest

import mlatlas.nn as nn

# A module that keeps nothing from forward (Identity) or only holds others (Sequential,
# checked through its children below) has nothing to complain about.
NOTHING_CACHED = {"Identity", "Module"}

EXAMPLES = {
    "Linear": (lambda: nn.Linear(3, 2, random_state=0), (4, 3)),
    "ReLU": (nn.ReLU, (4, 3)),
    "Sigmoid": (nn.Sigmoid, (4, 3)),
    "Tanh": (nn.Tanh, (4, 3)),
    "Dropout": (lambda: nn.Dropout(0.5, random_state=0), (4, 3)),
    "Flatten": (nn.Flatten, (2, 3, 4)),
    "Conv2d": (lambda: nn.Conv2d(1, 2, 3, random_state=0), (2, 1, 5, 5)),
    "ConvTranspose2d": (lambda: nn.ConvTranspose2d(1, 2, 3, random_state=0), (2, 1, 4, 4)),
    "BatchNorm1d": (lambda: nn.BatchNorm1d(3), (4, 3)),
    "BatchNorm2d": (lambda: nn.BatchNorm2d(2), (2, 2, 3, 3)),
    "LayerNorm": (lambda: nn.LayerNorm(3), (4, 3)),
    "InstanceNorm2d": (lambda: nn.InstanceNorm2d(2), (2, 2, 3, 3)),
    "GroupNorm": (lambda: nn.GroupNorm(1, 2), (2, 2, 3, 3)),
    "Upsample": (lambda: nn.Upsample(scale_factor=2, mode="nearest"), (1, 1, 3, 3)),
    "Sequential": (lambda: nn.Sequential(nn.Linear(3, 2, random_state=0), nn.ReLU()), (4, 3)),
    "MSELoss": (nn.MSELoss, (4, 3)),
    "CrossEntropyLoss": (nn.CrossEntropyLoss, (4, 3)),
    "BCEWithLogitsLoss": (nn.BCEWithLogitsLoss, (4, 3)),
}
LOSSES = {"MSELoss", "CrossEntropyLoss", "BCEWithLogitsLoss"}


def _module_classes():
    return sorted(name for name in nn.__all__
                  if isinstance(getattr(nn, name), type) and issubclass(getattr(nn, name), nn.Module))


def test_every_exported_module_has_an_example():
    missing = set(_module_classes()) - set(EXAMPLES) - NOTHING_CACHED
    assert not missing, f"add these modules to EXAMPLES: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_backward_before_forward_is_a_clear_runtime_error(name):
    make, shape = EXAMPLES[name]
    module = make()
    grad = np.ones((4, 2)) if name == "Sequential" else np.ones(shape)
    expected = "ReLU" if name == "Sequential" else name  # the last child runs backward first
    with pytest.raises(RuntimeError, match=rf"^{expected}\.backward was called before forward"):
        module.backward(None if name in LOSSES else grad)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_backward_after_forward_still_works(name):
    make, shape = EXAMPLES[name]
    module = make()
    x = np.random.default_rng(0).standard_normal(shape)
    if name in LOSSES:
        target = (np.arange(shape[0]) % shape[1]) if name == "CrossEntropyLoss" else np.zeros(shape)
        module(x, target)
        grad_in = module.backward()
    else:
        y = module(x)
        grad_in = module.backward(np.ones_like(y))
    assert grad_in.shape == x.shape and np.all(np.isfinite(grad_in))
