"""The NumPy neural-net core: modules with hand-written backward passes, checked against PyTorch.

Every layer caches what its derivative needs in ``forward`` and returns the input
gradient from ``backward(grad_out)``, adding the parameter gradients into
``param.grad``.  Constructors, parameter/buffer names, optimizers and learning-rate
schedules follow PyTorch, so states copy across both ways.

>>> import numpy as np
>>> from mlatlas.nn import Sequential, Linear, ReLU, MSELoss, SGD
>>> net = Sequential(Linear(2, 8, random_state=0), ReLU(), Linear(8, 1, random_state=1))
>>> loss_fn, opt = MSELoss(), SGD(net.parameters(), lr=0.1)
>>> X, y = np.random.default_rng(0).normal(size=(32, 2)), np.zeros((32, 1))
>>> first = float(loss_fn(net(X), y))
>>> for _ in range(50):
...     opt.zero_grad()
...     loss = loss_fn(net(X), y)
...     _ = net.backward(loss_fn.backward())
...     opt.step()
>>> float(loss) < first
True

Names are imported lazily, so ``import mlatlas.nn`` stays cheap.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_WHERE = {
    # module.py
    "Parameter": "module",
    "Module": "module",
    "Sequential": "module",
    # layers.py
    "Linear": "layers",
    "Identity": "layers",
    "ReLU": "layers",
    "Sigmoid": "layers",
    "Tanh": "layers",
    "Dropout": "layers",
    "Flatten": "layers",
    # conv.py
    "Conv2d": "conv",
    "ConvTranspose2d": "conv",
    # norms.py
    "BatchNorm1d": "norms",
    "BatchNorm2d": "norms",
    "LayerNorm": "norms",
    "InstanceNorm2d": "norms",
    "GroupNorm": "norms",
    # upsampling.py
    "Upsample": "upsampling",
    "interpolate": "upsampling",
    # losses.py
    "MSELoss": "losses",
    "CrossEntropyLoss": "losses",
    "BCEWithLogitsLoss": "losses",
    # optim.py
    "Optimizer": "optim",
    "SGD": "optim",
    "Adam": "optim",
    "AdamW": "optim",
    # schedules.py (also reachable as mlatlas.nn.schedules.<Name>)
    "LRScheduler": "schedules",
    "StepLR": "schedules",
    "MultiStepLR": "schedules",
    "ExponentialLR": "schedules",
    "ConstantLR": "schedules",
    "LinearLR": "schedules",
    "CosineAnnealingLR": "schedules",
    "CosineAnnealingWarmRestarts": "schedules",
    "OneCycleLR": "schedules",
    "ReduceLROnPlateau": "schedules",
    "SequentialLR": "schedules",
    # gradcheck.py
    "gradcheck": "gradcheck",
    "GradcheckReport": "gradcheck",
    "GradcheckError": "gradcheck",
    # mlp.py (the estimators built on this core)
    "MLPClassifier": "mlp",
    "MLPRegressor": "mlp",
    "NonFiniteLossError": "mlp",
}

_SUBMODULES = ("module", "layers", "conv", "norms", "upsampling", "losses", "optim", "schedules",
               "gradcheck", "mlp")

__all__, __getattr__, __dir__ = lazy_exports(__name__, _WHERE, _SUBMODULES)

# Imported eagerly because the function shares its module's name: a lazy import would
# leave ``mlatlas.nn.gradcheck`` bound to the submodule instead of the function.
from .gradcheck import GradcheckError, GradcheckReport, gradcheck  # noqa: E402
