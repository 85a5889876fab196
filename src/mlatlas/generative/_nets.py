"""Small network builders the generative models share (imported only when a network is built)."""

from __future__ import annotations

from typing import Any, Sequence

from ._torch import import_torch

torch = import_torch()
nn = torch.nn

__all__ = ["mlp", "one_hot", "with_labels"]

ACTIVATIONS = {"relu": nn.ReLU, "leaky_relu": lambda: nn.LeakyReLU(0.2), "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


def mlp(sizes: Sequence[int], activation: str = "relu") -> Any:
    """``Linear(sizes[0], sizes[1]) - act - ... - Linear(sizes[-2], sizes[-1])`` (no activation at the end).

    Examples
    --------
    >>> mlp([4, 8, 2])
    Sequential(
      (0): Linear(in_features=4, out_features=8, bias=True)
      (1): ReLU()
      (2): Linear(in_features=8, out_features=2, bias=True)
    )
    """
    layers: list = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(fan_in, fan_out))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


def one_hot(y: Any, n_classes: int, dtype: Any) -> Any:
    """(n,) integer labels -> (n, n_classes) one-hot rows of ``dtype``."""
    return nn.functional.one_hot(y, n_classes).to(dtype)


def with_labels(h: Any, y: Any, n_classes: int | None) -> Any:
    """Append the one-hot label to each row of ``h`` (n, d) -> (n, d + n_classes); ``h`` unchanged without labels."""
    if n_classes is None:
        return h
    return torch.cat([h, one_hot(y, n_classes, h.dtype)], dim=1)
