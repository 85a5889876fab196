"""Benchmark cases for the NumPy convolutions: Conv2d and ConvTranspose2d against PyTorch on the CPU.

The timed step is one forward and one backward pass (input gradient and weight/bias
gradients) of a single layer on a (64, 16, 28, 28) float32 batch, with the same
weights on both sides.  PyTorch uses as many threads as this process may run on, and
so do NumPy's BLAS and mlatlas's chunk threads.  Neither side copies its input inside
the timed step (PyTorch gets a fresh leaf tensor that shares the array's memory).
The quality is the norm of the input gradient (both sides should agree to float32
precision).

Caveat: the harness alternates the two sides, and on the 2-core test machine each
side runs slower right after the other than after itself (cold caches, PyTorch's
OpenMP workers spinning for a few milliseconds after each call, idle cores waking up):
measured on the 3x3 convolution, PyTorch 4 -> 6 ms after ours, ours 14 -> 19 ms
after PyTorch.  Both sides pay it, so the ratio stays a fair comparison, but the
absolute times are higher than either library alone in a loop.
"""

from __future__ import annotations

import os

import numpy as np

from .harness import case

SHAPE = (64, 16, 28, 28)


def _setup(make_ours, make_torch):
    def setup(quick):
        import torch

        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        torch.set_num_threads(cores or 1)
        n = 16 if quick else SHAPE[0]
        rng = np.random.default_rng(0)
        x = rng.standard_normal((n,) + SHAPE[1:]).astype(np.float32)
        ours = make_ours()
        theirs = make_torch(torch)
        theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
        g = rng.standard_normal(ours(x).shape).astype(np.float32)
        return dict(x=x, g=g, ours=ours, theirs=theirs, xt=torch.from_numpy(x), gt=torch.from_numpy(g))
    return setup


def _ours(data):
    layer = data["ours"]
    layer.zero_grad()
    layer(data["x"])
    dx = layer.backward(data["g"])
    return float(np.linalg.norm(dx))


def _reference(data):
    layer = data["theirs"]
    layer.zero_grad()
    xt = data["xt"].detach().requires_grad_(True)  # a new leaf, no copy (ours copies nothing either)
    layer(xt).backward(data["gt"])
    return float(xt.grad.norm())


def _conv(**kwargs):
    from mlatlas.nn import Conv2d

    return _setup(lambda: Conv2d(16, 16, dtype=np.float32, random_state=0, **kwargs),
                  lambda torch: torch.nn.Conv2d(16, 16, **kwargs))


def _conv_transpose(**kwargs):
    from mlatlas.nn import ConvTranspose2d

    return _setup(lambda: ConvTranspose2d(16, 16, dtype=np.float32, random_state=0, **kwargs),
                  lambda torch: torch.nn.ConvTranspose2d(16, 16, **kwargs))


case(name="Conv2d 16->16 3x3 pad 1 fwd+bwd (64,16,28,28) f32", group="nn-conv",
     setup=_conv(kernel_size=3, padding=1), ours=_ours, reference=_reference,
     reference_name="torch.nn.Conv2d (CPU)", quality_name="|dL/dx|", target=3.0)
case(name="ConvTranspose2d 16->16 3x3 pad 1 fwd+bwd (64,16,28,28) f32", group="nn-conv",
     setup=_conv_transpose(kernel_size=3, padding=1), ours=_ours, reference=_reference,
     reference_name="torch.nn.ConvTranspose2d (CPU)", quality_name="|dL/dx|", target=3.0)
case(name="ConvTranspose2d 16->16 4x4 stride 2 pad 1 fwd+bwd (64,16,28,28)->56x56 f32", group="nn-conv",
     setup=_conv_transpose(kernel_size=4, stride=2, padding=1), ours=_ours, reference=_reference,
     reference_name="torch.nn.ConvTranspose2d (CPU)", quality_name="|dL/dx|", target=3.0)
