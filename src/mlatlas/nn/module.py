"""Parameters, modules and containers for the NumPy neural-net core.

A network is a tree of :class:`Module` objects.  Each module

* computes ``y = forward(x)`` and keeps (caches) whatever its derivative needs;
* computes ``dL/dx = backward(dL/dy)`` from that cache (the chain rule, one local
  Jacobian-vector product per module) and *adds* ``dL/dtheta`` into the ``grad`` of
  each of its :class:`Parameter` objects.

So for a chain ``y = f_K(... f_2(f_1(x)))`` the gradient of a scalar loss ``L`` is
obtained by calling ``backward`` on the modules in reverse order, which is what
:class:`Sequential` does:

    dL/dx_{k-1} = J_{f_k}(x_{k-1})^T dL/dx_k

Names follow PyTorch: a module's parameters and buffers are attributes, children are
attributes too, and the dotted path (``"0.weight"``, ``"encoder.1.running_mean"``) is
the key in :meth:`Module.state_dict`, so states copy between mlatlas and PyTorch.

References
----------
PyTorch's ``torch.nn.Module`` (the API shape); A. Karpathy's micrograd (forward and
local derivative side by side).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterator, NamedTuple

import numpy as np

__all__ = ["Parameter", "Module", "Sequential", "IncompatibleKeys", "to_numpy", "as_float_array",
           "check_device_dtype"]


def to_numpy(value: Any) -> np.ndarray:
    """Turn an array-like (NumPy array, number, PyTorch tensor) into a NumPy array.

    PyTorch tensors are recognised by duck typing (``detach``/``cpu``/``numpy``), so
    torch is never imported here.
    """
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def as_float_array(x: Any) -> np.ndarray:
    """``x`` as a floating NumPy array: float16/32/64 kept as they are, anything else float64.

    Layers compute in the dtype of their input (float32 in, float32 out).
    """
    x = to_numpy(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    return x


def check_device_dtype(device: Any, dtype: Any) -> np.dtype:
    """Validate PyTorch's ``device``/``dtype`` constructor arguments; return the parameter dtype.

    Only the CPU exists here; ``dtype`` defaults to float64 (NumPy's default, where
    PyTorch's is float32) and accepts NumPy dtypes, their names or ``torch.float32``-like
    objects (by name).
    """
    if device is not None and str(device) != "cpu":
        raise ValueError(f"device must be None or 'cpu' (mlatlas.nn runs on NumPy), got {device!r}")
    if dtype is None:
        return np.dtype(np.float64)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        try:  # torch.float32 and friends, by name
            dt = np.dtype(str(dtype).replace("torch.", ""))
        except TypeError:
            raise TypeError(f"dtype must be a floating NumPy dtype, got {dtype!r}") from None
    if dt.kind != "f":
        raise TypeError(f"dtype must be a floating dtype (float32 or float64), got {dtype!r}")
    return dt


class Parameter:
    """A trainable array with its gradient.

    Parameters
    ----------
    data : array_like
        The value.  Stored as a floating NumPy array (float64 unless ``data`` is
        already float32/float16 or ``dtype`` says otherwise).
    requires_grad : bool, default=True
        Optimizers skip parameters whose ``requires_grad`` is False.
    dtype : numpy dtype, optional

    Attributes
    ----------
    data : ndarray
    grad : ndarray or None
        ``None`` until a ``backward`` writes into it; backward passes *accumulate*
        (``grad += ...``) until :meth:`Module.zero_grad`.

    Examples
    --------
    >>> p = Parameter([1.0, 2.0])
    >>> p.shape, p.grad is None
    ((2,), True)
    """

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None):
        array = to_numpy(data)
        if dtype is None:
            dtype = array.dtype if array.dtype.kind == "f" else np.float64
        self.data = np.array(array, dtype=dtype, copy=True)
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    def accumulate_grad(self, grad: np.ndarray) -> None:
        """``self.grad += grad`` (creating it on the first call), in the parameter's dtype."""
        grad = np.asarray(grad, dtype=self.data.dtype)
        if grad.shape != self.data.shape:
            raise ValueError(f"gradient of shape {grad.shape} for a parameter of shape {self.data.shape}")
        if self.grad is None:
            self.grad = grad.copy()
        else:
            self.grad += grad

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class IncompatibleKeys(NamedTuple):
    missing_keys: list
    unexpected_keys: list


class Module:
    """Base class of every layer, norm, loss and container.

    Subclasses call ``super().__init__()`` first, then assign :class:`Parameter`
    objects and child modules as attributes (they are registered automatically) and
    buffers through :meth:`register_buffer`.  They implement ``forward`` (storing what
    the derivative needs in ``self._cache``) and ``backward(grad_out) -> grad_in`` (adding
    parameter gradients into ``param.grad``), which reads it back with :meth:`_cached`,
    so that a ``backward`` before any ``forward`` is one clear ``RuntimeError``.

    Examples
    --------
    >>> from mlatlas.nn import Linear
    >>> layer = Linear(3, 2, random_state=0)
    >>> y = layer(np.ones((4, 3)))
    >>> dx = layer.backward(np.ones_like(y))
    >>> dx.shape, layer.weight.grad.shape
    ((4, 3), (2, 3))
    """

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_cache", None)  # what forward leaves for backward

    # -- registration --------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError("call Module.__init__() before assigning attributes")
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, Parameter):
            buffers.pop(name, None)
            modules.pop(name, None)
            self.__dict__.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params.pop(name, None)
            buffers.pop(name, None)
            self.__dict__.pop(name, None)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} to parameter {name!r} "
                                "(use a Parameter or None)")
            params[name] = None
        elif name in buffers:
            buffers[name] = None if value is None else np.asarray(value)
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} to child module {name!r}")
            modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: look in the registries.
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in d and name in d[registry]:
                return d[registry][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                return
        object.__delattr__(self, name)

    def register_buffer(self, name: str, value: Any) -> None:
        """Register a non-trainable array (running statistics...) saved in the state dict."""
        self._parameters.pop(name, None)
        self.__dict__.pop(name, None)
        self._buffers[name] = None if value is None else np.asarray(value)

    def register_parameter(self, name: str, value: Parameter | None) -> None:
        """Register a parameter (or ``None``, a declared-but-absent one such as ``bias=False``)."""
        if value is not None and not isinstance(value, Parameter):
            raise TypeError(f"parameter {name!r} must be a Parameter or None, got {type(value).__name__}")
        self._buffers.pop(name, None)
        self.__dict__.pop(name, None)
        self._parameters[name] = value

    def add_module(self, name: str, module: Module | None) -> None:
        self._modules[name] = module

    # -- computation ---------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def _cached(self) -> Any:
        """What the last ``forward`` stored for ``backward`` (raises if forward has not run)."""
        cache = self.__dict__.get("_cache")
        if cache is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward was called before forward: backward needs "
                "what forward stores, so call forward (or the module itself) first.")
        return cache

    # -- traversal -----------------------------------------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and all descendants, with dotted names (this one is ``prefix``)."""
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, child in self._modules.items():
            if child is not None:
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, Parameter)`` pairs, each parameter once, in PyTorch's order."""
        seen: set[int] = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_prefix, module in modules:
            for name, p in module._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, np.ndarray]]:
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_prefix, module in modules:
            for name, b in module._buffers.items():
                if b is not None:
                    yield (f"{mod_prefix}.{name}" if mod_prefix else name), b

    def buffers(self, recurse: bool = True) -> Iterator[np.ndarray]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # -- modes and gradients -------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (dropout active, batch statistics) recursively; returns self."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be boolean, got {type(mode).__name__}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode (``train(False)``); returns self."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient (to ``None``, like PyTorch, or to zeros)."""
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad[...] = 0

    # -- state ---------------------------------------------------------------------
    def state_dict(self) -> OrderedDict:
        """Copies of every parameter and buffer, keyed by PyTorch's dotted names.

        Order: for each module (depth first), its parameters, then its buffers.
        """
        state: OrderedDict = OrderedDict()
        for mod_prefix, module in self.named_modules():
            for name, p in module._parameters.items():
                if p is not None:
                    state[f"{mod_prefix}.{name}" if mod_prefix else name] = p.data.copy()
            for name, b in module._buffers.items():
                if b is not None:
                    state[f"{mod_prefix}.{name}" if mod_prefix else name] = np.array(b, copy=True)
        return state

    def load_state_dict(self, state_dict: Any, strict: bool = True) -> IncompatibleKeys:
        """Copy arrays (or PyTorch tensors) into the parameters and buffers, in place.

        Values keep this module's dtypes; shapes must match.  With ``strict=True``
        missing or unexpected keys raise ``KeyError``.
        """
        targets: dict[str, tuple[Module, str, bool]] = {}
        for mod_prefix, module in self.named_modules():
            for name, p in module._parameters.items():
                if p is not None:
                    targets[f"{mod_prefix}.{name}" if mod_prefix else name] = (module, name, True)
            for name, b in module._buffers.items():
                if b is not None:
                    targets[f"{mod_prefix}.{name}" if mod_prefix else name] = (module, name, False)
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        if strict and (missing or unexpected):
            raise KeyError(f"error loading state_dict into {type(self).__name__}: "
                           f"missing keys {missing}, unexpected keys {unexpected}")
        for key, (module, name, is_param) in targets.items():
            if key not in state_dict:
                continue
            value = to_numpy(state_dict[key])
            current = module._parameters[name].data if is_param else module._buffers[name]
            if value.shape != current.shape:
                raise ValueError(f"size mismatch for {key!r}: the state has shape {value.shape}, "
                                 f"the module expects {current.shape}")
            current[...] = value.astype(current.dtype, copy=False)
        return IncompatibleKeys(missing, unexpected)

    # -- printing ------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        children = [(n, m) for n, m in self._modules.items() if m is not None]
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        lines.append(")")
        return "\n".join(lines)


class Sequential(Module):
    """Modules applied one after another; ``backward`` runs them in reverse.

    Children are named ``"0"``, ``"1"``, ... (or by the keys of an ``OrderedDict``),
    so parameter names read ``"0.weight"`` exactly as in ``torch.nn.Sequential``.

    Examples
    --------
    >>> from mlatlas.nn import Linear, ReLU
    >>> net = Sequential(Linear(2, 3, random_state=0), ReLU(), Linear(3, 1, random_state=1))
    >>> [name for name, _ in net.named_parameters()]
    ['0.weight', '0.bias', '2.weight', '2.bias']
    """

    def __init__(self, *modules: Module | OrderedDict) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (OrderedDict, dict)):
            for name, m in modules[0].items():
                self._check_module(m)
                self.add_module(str(name), m)
        else:
            for i, m in enumerate(modules):
                self._check_module(m)
                self.add_module(str(i), m)

    @staticmethod
    def _check_module(m: Any) -> None:
        if not isinstance(m, Module):
            raise TypeError(f"Sequential takes Module objects, got {type(m).__name__}")

    def append(self, module: Module) -> Sequential:
        self._check_module(module)
        self.add_module(str(len(self._modules)), module)
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int | slice) -> Module:
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        return items[index][1]

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        # Chain rule: dL/dx_{k-1} = J_k^T dL/dx_k, from the last module to the first.
        for module in reversed(list(self._modules.values())):
            grad_out = module.backward(grad_out)
        return grad_out
