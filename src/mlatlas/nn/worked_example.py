r"""The two-layer network worked by hand in notes 02, computed with the :mod:`mlatlas.nn` modules.

The network maps ``x in R^2`` through a hidden ReLU layer of two units to one linear
output, and is scored by the half squared error:

    z1 = W1 x + b1,   a1 = ReLU(z1),   z2 = W2 a1 + b2,   y_hat = z2,   L = 1/2 (y_hat - y)^2

with the notes' numbers ``x = (1, 2)``, ``W1 = [[0.5, -0.5], [0.3, 0.8]]``,
``b1 = (0.1, -0.2)``, ``W2 = (0.2, -0.4)``, ``b2 = 0.5`` and ``y = 1``.

Forward (the notes print ``z1 = (-0.9, 1.7)``; the first entry is
``0.5 - 1.0 + 0.1 = -0.4``, which the ReLU zeroes anyway, so nothing after it changes):

    z1 = (0.5*1 - 0.5*2 + 0.1, 0.3*1 + 0.8*2 - 0.2) = (-0.4, 1.7)
    a1 = (0, 1.7)
    y_hat = z2 = 0.2*0 - 0.4*1.7 + 0.5 = -0.18
    L = 1/2 (-1.18)^2 = 0.6962

Backward, one local derivative per line (each module's ``backward``):

    dL/dy_hat = y_hat - y                 = -1.18       (MSELoss(half=True))
    dL/dz2    = dL/dy_hat * 1             = -1.18       (linear output)
    dL/dW2    = dL/dz2 a1^T               = (0, -2.006) (Linear: g^T x)
    dL/db2    = dL/dz2                    = -1.18
    dL/da1    = W2^T dL/dz2               = (-0.236, 0.472)
    dL/dz1    = dL/da1 * 1[z1 > 0]        = (0, 0.472)  (ReLU)
    dL/dW1    = dL/dz1 x^T                = [[0, 0], [0.472, 0.944]]
    dL/db1    = dL/dz1                    = (0, 0.472)

One step of gradient descent, ``theta <- theta - eta dL/dtheta`` (the notes leave
``eta`` open; ``learning_rate=0.1`` here), then the forward pass again gives the new
loss (0.2207..., down from 0.6962).

:func:`worked_example` returns every one of these values; :func:`torch_worked_example`
computes the same with PyTorch's autograd as an independent reference.

References
----------
Notes 02, section 1.1 (with the correction listed in the notes' errata); Goodfellow,
Bengio, Courville, *Deep Learning* (2016), sec. 6.5 (back-propagation).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .layers import Linear, ReLU
from .losses import MSELoss
from .optim import SGD

__all__ = ["NOTES_NETWORK", "worked_example", "torch_worked_example", "scalar_rows", "QUANTITIES"]

#: The notes' inputs and parameters (W2 is the row of the single output unit).
NOTES_NETWORK = {
    "x": (1.0, 2.0),
    "W1": ((0.5, -0.5), (0.3, 0.8)),
    "b1": (0.1, -0.2),
    "W2": (0.2, -0.4),
    "b2": 0.5,
    "y": 1.0,
}

#: The quantities returned, in the order of the computation.
QUANTITIES = (
    "z1", "a1", "z2", "y_hat", "L",
    "dL/dy_hat", "dL/dz2", "dL/dW2", "dL/db2", "dL/da1", "dL/dz1", "dL/dW1", "dL/db1",
    "W1_new", "b1_new", "W2_new", "b2_new", "z1_new", "a1_new", "y_hat_new", "L_new",
)


def _inputs(x, W1, b1, W2, b2, y) -> dict[str, np.ndarray]:
    given = {"x": x, "W1": W1, "b1": b1, "W2": W2, "b2": b2, "y": y}
    values = {k: np.asarray(NOTES_NETWORK[k] if v is None else v, dtype=np.float64) for k, v in given.items()}
    shapes = {"x": (2,), "W1": (2, 2), "b1": (2,), "W2": (2,), "b2": (), "y": ()}
    for name, shape in shapes.items():
        if values[name].shape != shape:
            raise ValueError(f"{name} must have shape {shape}; got {values[name].shape}.")
    return values


def worked_example(x: Any = None, W1: Any = None, b1: Any = None, W2: Any = None, b2: Any = None,
                   y: Any = None, learning_rate: float = 0.1) -> dict[str, np.ndarray]:
    """Forward pass, backward pass and one gradient-descent step of the notes' network.

    Every argument defaults to the notes' value (:data:`NOTES_NETWORK`).

    Parameters
    ----------
    x : array of shape (2,)
    W1 : array of shape (2, 2)
    b1 : array of shape (2,)
    W2 : array of shape (2,)
        Weights of the single output unit.
    b2, y : float
    learning_rate : float, default=0.1
        The step ``eta`` of ``theta <- theta - eta dL/dtheta``.

    Returns
    -------
    dict
        The keys of :data:`QUANTITIES`: forward values (``z1``, ``a1``, ``z2``,
        ``y_hat``, ``L``), gradients (``dL/d...``), the updated parameters
        (``W1_new`` ...) and the forward pass with them (``z1_new`` ... ``L_new``).
        Vectors have shape (2,), ``W1`` and its gradient (2, 2), the rest are 0-d.

    Examples
    --------
    >>> v = worked_example()
    >>> v["z1"], round(float(v["L"]), 4)
    (array([-0.4,  1.7]), 0.6962)
    >>> v["dL/dW1"]
    array([[0.   , 0.   ],
           [0.472, 0.944]])
    """
    v = _inputs(x, W1, b1, W2, b2, y)
    layer1, relu, layer2 = Linear(2, 2, random_state=0), ReLU(), Linear(2, 1, random_state=0)
    layer1.weight.data[...] = v["W1"]
    layer1.bias.data[...] = v["b1"]
    layer2.weight.data[0] = v["W2"]
    layer2.bias.data[0] = v["b2"]
    loss_fn = MSELoss(half=True)
    xb, yb = v["x"][None, :], v["y"].reshape(1, 1)  # a batch of one sample: (1, 2) and (1, 1)

    def forward():
        z1 = layer1(xb)       # (1, 2)
        a1 = relu(z1)         # (1, 2)
        z2 = layer2(a1)       # (1, 1); the output is linear: y_hat = z2
        loss = loss_fn(z2, yb)
        return z1, a1, z2, loss

    z1, a1, z2, loss = forward()
    out: dict[str, np.ndarray] = {
        "z1": z1[0], "a1": a1[0], "z2": z2[0, 0], "y_hat": z2[0, 0].copy(), "L": np.asarray(loss),
    }
    # backward: each module turns dL/d(output) into dL/d(input) and fills its parameters' grad
    dy_hat = loss_fn.backward()      # dL/dy_hat = y_hat - y
    dz2 = dy_hat                     # identity output: dy_hat/dz2 = 1
    da1 = layer2.backward(dz2)       # dL/da1 = W2^T dL/dz2
    dz1 = relu.backward(da1)         # dL/dz1 = dL/da1 * 1[z1 > 0]
    layer1.backward(dz1)             # dL/dW1 = dL/dz1 x^T, dL/db1 = dL/dz1
    out.update({
        "dL/dy_hat": dy_hat[0, 0], "dL/dz2": dz2[0, 0],
        "dL/dW2": layer2.weight.grad[0].copy(), "dL/db2": layer2.bias.grad[0].copy(),
        "dL/da1": da1[0], "dL/dz1": dz1[0],
        "dL/dW1": layer1.weight.grad.copy(), "dL/db1": layer1.bias.grad.copy(),
    })
    # one step of gradient descent: theta <- theta - eta dL/dtheta
    SGD([layer1.weight, layer1.bias, layer2.weight, layer2.bias], lr=learning_rate).step()
    z1, a1, z2, loss = forward()
    out.update({
        "W1_new": layer1.weight.data.copy(), "b1_new": layer1.bias.data.copy(),
        "W2_new": layer2.weight.data[0].copy(), "b2_new": layer2.bias.data[0].copy(),
        "z1_new": z1[0], "a1_new": a1[0], "y_hat_new": z2[0, 0], "L_new": np.asarray(loss),
    })
    return {k: np.asarray(out[k], dtype=np.float64) for k in QUANTITIES}


def torch_worked_example(x: Any = None, W1: Any = None, b1: Any = None, W2: Any = None, b2: Any = None,
                         y: Any = None, learning_rate: float = 0.1) -> dict[str, np.ndarray]:
    """The same quantities computed by PyTorch's autograd (float64); needs torch.

    Intermediate gradients come from ``retain_grad()`` on ``z1``, ``a1``, ``z2`` and
    ``y_hat``; the update is ``torch.optim.SGD``.
    """
    import torch

    v = _inputs(x, W1, b1, W2, b2, y)
    t = {k: torch.tensor(a, dtype=torch.float64) for k, a in v.items()}
    params = {k: t[k].clone().requires_grad_(True) for k in ("W1", "b1", "W2", "b2")}

    def forward():
        z1 = params["W1"] @ t["x"] + params["b1"]
        a1 = torch.relu(z1)
        z2 = params["W2"] @ a1 + params["b2"]
        y_hat = z2.clone()
        loss = 0.5 * (y_hat - t["y"]) ** 2
        return z1, a1, z2, y_hat, loss

    z1, a1, z2, y_hat, loss = forward()
    for tensor in (z1, a1, z2, y_hat):
        tensor.retain_grad()
    loss.backward()

    def np_(tensor):
        return tensor.detach().numpy().copy()

    out = {"z1": np_(z1), "a1": np_(a1), "z2": np_(z2), "y_hat": np_(y_hat), "L": np_(loss),
           "dL/dy_hat": np_(y_hat.grad), "dL/dz2": np_(z2.grad), "dL/dW2": np_(params["W2"].grad),
           "dL/db2": np_(params["b2"].grad), "dL/da1": np_(a1.grad), "dL/dz1": np_(z1.grad),
           "dL/dW1": np_(params["W1"].grad), "dL/db1": np_(params["b1"].grad)}
    torch.optim.SGD(list(params.values()), lr=learning_rate).step()
    with torch.no_grad():
        z1, a1, z2, y_hat, loss = forward()
    out.update({"W1_new": np_(params["W1"]), "b1_new": np_(params["b1"]), "W2_new": np_(params["W2"]),
                "b2_new": np_(params["b2"]), "z1_new": np_(z1), "a1_new": np_(a1), "y_hat_new": np_(y_hat),
                "L_new": np_(loss)})
    return {k: np.asarray(out[k], dtype=np.float64) for k in QUANTITIES}


def scalar_rows(values: dict[str, np.ndarray]) -> dict[str, float]:
    """One entry per scalar: ``"z1[0]"``, ``"dL/dW1[1,0]"``, ``"L"`` ... (for tables).

    Examples
    --------
    >>> scalar_rows({"z1": np.array([-0.4, 1.7]), "L": np.array(0.6962)})
    {'z1[0]': -0.4, 'z1[1]': 1.7, 'L': 0.6962}
    """
    rows: dict[str, float] = {}
    for name, value in values.items():
        value = np.asarray(value, dtype=np.float64)
        if value.ndim == 0:
            rows[name] = float(value)
            continue
        for index in np.ndindex(value.shape):
            rows[f"{name}[{','.join(map(str, index))}]"] = float(value[index])
    return rows
