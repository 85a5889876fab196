"""Where the generative models get PyTorch from: one import with a clear message, and devices.

``import mlatlas.generative`` works without PyTorch (the configs, the checkpoint format
and the allow-list of classes need none); everything that trains or evaluates a
network calls :func:`import_torch` first, which names the ``deep`` extra when PyTorch
is missing.
"""

from __future__ import annotations

from typing import Any

__all__ = ["import_torch", "resolve_device", "DEEP_EXTRA_HINT"]

DEEP_EXTRA_HINT = "pip install 'mlatlas[deep]' (it adds torch and safetensors)"


def import_torch() -> Any:
    """Return the ``torch`` module, or raise an ImportError that says how to install it.

    Returns
    -------
    module
        :mod:`torch`.

    Raises
    ------
    ImportError
        If PyTorch (or safetensors, which checkpoints need) is not installed.

    Examples
    --------
    >>> import_torch().__name__
    'torch'
    """
    try:
        import torch
    except ImportError as exc:
        raise ImportError(
            "the generative models of mlatlas need PyTorch, which is not installed; "
            f"{DEEP_EXTRA_HINT}."
        ) from exc
    return torch


def import_safetensors() -> Any:
    """Return :mod:`safetensors.torch`, or raise an ImportError naming the ``deep`` extra."""
    import_torch()
    try:
        import safetensors.torch
    except ImportError as exc:
        raise ImportError(f"checkpoints need the safetensors package, which is not installed; "
                          f"{DEEP_EXTRA_HINT}.") from exc
    return safetensors.torch


def resolve_device(device: str) -> Any:
    """Turn ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"`` into a :class:`torch.device`.

    ``"auto"`` is CUDA when a GPU is visible and the CPU otherwise.  Under ``torchrun``
    on GPUs, ``"cuda"`` and ``"auto"`` mean the GPU of this process's ``LOCAL_RANK``.

    Parameters
    ----------
    device : str

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        If ``device`` is not one of the accepted strings, or CUDA is asked for but
        not available.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    import os

    torch = import_torch()
    if not isinstance(device, str):
        raise TypeError(f"device must be 'cpu', 'cuda', 'cuda:N' or 'auto'; got {type(device).__name__} {device!r}.")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu":
        return torch.device("cpu")
    if device == "cuda" or device.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r} asks for a GPU, but torch sees no CUDA device "
                             "(this torch build or machine has none); use device='cpu' or 'auto'.")
        if device == "cuda":
            return torch.device("cuda", int(os.environ.get("LOCAL_RANK", torch.cuda.current_device())))
        try:
            index = int(device.split(":", 1)[1])
        except ValueError:
            index = -1
        if not 0 <= index < torch.cuda.device_count():
            raise ValueError(f"device={device!r} names no visible GPU "
                             f"(this machine has {torch.cuda.device_count()}).")
        return torch.device("cuda", index)
    raise ValueError(f"device must be 'cpu', 'cuda', 'cuda:N' or 'auto'; got {device!r}.")
