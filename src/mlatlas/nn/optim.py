"""First-order optimizers with PyTorch's exact update rules: SGD (momentum, Nesterov), Adam, AdamW.

With ``g_t`` the gradient at step ``t`` (negated if ``maximize``), ``lambda`` the
weight decay and ``lr`` the learning rate:

SGD::

    g_t <- g_t + lambda theta                          (L2 weight decay)
    b_t  = g_t                       at the first step
    b_t  = mu b_{t-1} + (1 - tau) g_t  afterwards        (momentum mu, dampening tau)
    d_t  = g_t + mu b_t  (Nesterov)  or  b_t
    theta <- theta - lr d_t

Adam (Kingma & Ba, 2015)::

    g_t <- g_t + lambda theta                          (Adam: L2 decay in the gradient)
    theta <- theta (1 - lr lambda)                     (AdamW: decoupled decay)
    m_t = beta1 m_{t-1} + (1 - beta1) g_t
    v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
    vmax_t = max(vmax_{t-1}, v_t)                       (AMSGrad; then v_t := vmax_t)
    theta <- theta - lr / (1 - beta1^t) * m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + eps)

The parameter groups (``param_groups``: a list of dicts holding ``params``, ``lr``
and the other hyper-parameters) and the state dict have PyTorch's layout, so
learning-rate schedules (:mod:`mlatlas.nn.schedules`) drive them the same way and a
PyTorch optimizer state can be loaded.

References
----------
Sutskever et al., "On the importance of initialization and momentum in deep learning"
(ICML 2013); Kingma & Ba, "Adam" (ICLR 2015); Reddi, Kale & Kumar, "On the
Convergence of Adam and Beyond" (ICLR 2018, AMSGrad); Loshchilov & Hutter,
"Decoupled Weight Decay Regularization" (ICLR 2019, AdamW).
"""

from __future__ import annotations

import copy
import numbers
from typing import Any, Callable, Iterable

import numpy as np

from .module import Parameter, to_numpy

__all__ = ["Optimizer", "SGD", "Adam", "AdamW"]


class Optimizer:
    """Base class: parameter groups, state, ``zero_grad``, ``state_dict``.

    Parameters
    ----------
    params : iterable of Parameter, or of dicts
        Either the parameters, or groups ``{"params": [...], "lr": ..., ...}`` whose
        missing hyper-parameters come from ``defaults``.
    defaults : dict
        The constructor's hyper-parameters.
    """

    def __init__(self, params: Iterable[Any], defaults: dict) -> None:
        self.defaults = dict(defaults)
        self.state: dict[Parameter, dict] = {}
        self.param_groups: list[dict] = []
        if isinstance(params, Parameter):
            raise TypeError("params argument given to the optimizer should be an iterable of Parameters "
                            "or dicts, but got a single Parameter")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict) -> None:
        """Add a group of parameters with its own hyper-parameters (defaults fill the rest)."""
        group = dict(group)
        params = group["params"]
        params = [params] if isinstance(params, Parameter) else list(params)
        for p in params:
            if not isinstance(p, Parameter):
                raise TypeError(f"optimizer can only optimize Parameters, got {type(p).__name__}")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        group["params"] = params
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self.param_groups.append(group)

    # the learning rate of every group, for the simple one-group case and for schedules
    @property
    def lr(self) -> float:
        """Learning rate of the first group; setting it sets every group's."""
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        for group in self.param_groups:
            group["lr"] = value

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every parameter (to None, like PyTorch, or to zeros)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad[...] = 0

    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """One update of every parameter that has a gradient; ``closure`` re-evaluates the loss."""
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None or not p.requires_grad:
                    continue
                self._update(p, group, self.state.setdefault(p, {}))
        return loss

    def _update(self, p: Parameter, group: dict, state: dict) -> None:
        raise NotImplementedError

    # -- state -----------------------------------------------------------------------
    def state_dict(self) -> dict:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}`` (PyTorch's layout)."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state and self.state[p]:
                    state[index[id(p)]] = {k: (v.copy() if isinstance(v, np.ndarray) else v)
                                           for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a state from :meth:`state_dict` (ours or a PyTorch optimizer's; tensors are converted)."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for mine, theirs in zip(self.param_groups, groups):
            if len(mine["params"]) != len(theirs["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match "
                                 "the size of optimizer's group")
        by_index = {}
        for mine, theirs in zip(self.param_groups, groups):
            for p, i in zip(mine["params"], theirs["params"]):
                by_index[i] = p
        self.state = {}
        for i, values in state_dict["state"].items():
            p = by_index[int(i)]
            converted = {}
            for key, value in values.items():
                if key == "step":
                    converted[key] = float(to_numpy(value))
                elif value is None:
                    converted[key] = None
                else:
                    converted[key] = np.array(to_numpy(value), dtype=p.data.dtype)
            self.state[p] = converted
        for mine, theirs in zip(self.param_groups, groups):
            for key, value in theirs.items():
                if key != "params":
                    mine[key] = copy.deepcopy(value)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _check_non_negative(value: Any, name: str) -> None:
    if not isinstance(value, numbers.Real) or value < 0:
        raise ValueError(f"Invalid {name}: {value!r} (expected a non-negative number)")


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay.

    Parameters
    ----------
    params : iterable of Parameter or of dicts (parameter groups)
    lr : float, default=1e-3
    momentum : float, default=0
    dampening : float, default=0
    weight_decay : float, default=0
    nesterov : bool, default=False
        Needs ``momentum > 0`` and ``dampening = 0``.
    maximize : bool, default=False, keyword-only

    Examples
    --------
    >>> from mlatlas.nn import Parameter
    >>> w = Parameter([1.0]); w.grad = np.array([0.5])
    >>> SGD([w], lr=0.1).step(); w.data
    array([0.95])
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False,
                 *, maximize: bool = False) -> None:
        for value, name in ((lr, "learning rate"), (momentum, "momentum value"),
                            (weight_decay, "weight_decay value")):
            _check_non_negative(value, name)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov, maximize=maximize))

    def _update(self, p: Parameter, group: dict, state: dict) -> None:
        lr, mu, tau = group["lr"], group["momentum"], group["dampening"]
        wd = group["weight_decay"]
        g = -p.grad if group["maximize"] else p.grad
        if wd != 0:
            # g <- g + lambda theta
            g = g + wd * p.data
        if mu != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                # b_1 = g_1
                buf = np.array(g, dtype=p.data.dtype, copy=True)
                state["momentum_buffer"] = buf
            else:
                # b_t = mu b_{t-1} + (1 - tau) g_t
                buf *= mu
                buf += (1 - tau) * g
            # d_t = g_t + mu b_t (Nesterov) or b_t
            g = g + mu * buf if group["nesterov"] else buf
        # theta <- theta - lr d_t
        p.data -= lr * g


class Adam(Optimizer):
    """Adam: bias-corrected moving averages of the gradient and its square.

    Parameters
    ----------
    params : iterable of Parameter or of dicts
    lr : float, default=1e-3
    betas : (float, float), default=(0.9, 0.999)
    eps : float, default=1e-8
    weight_decay : float, default=0
        L2 penalty added to the gradient (or decoupled, see below).
    amsgrad : bool, default=False
        Normalise by the running maximum of ``v_t``.
    maximize : bool, default=False, keyword-only
    decoupled_weight_decay : bool, default=False, keyword-only
        Shrink the parameters directly (AdamW) instead of adding ``lambda theta`` to
        the gradient.

    Examples
    --------
    >>> from mlatlas.nn import Parameter
    >>> w = Parameter([1.0]); w.grad = np.array([0.5])
    >>> Adam([w], lr=0.1).step(); w.data.round(6)   # the first step moves by ~lr
    array([0.9])
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False,
                 *, maximize: bool = False, decoupled_weight_decay: bool = False) -> None:
        _check_non_negative(lr, "learning rate")
        _check_non_negative(eps, "epsilon value")
        _check_non_negative(weight_decay, "weight_decay value")
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError(f"Invalid beta parameters: {betas!r} (each must be in [0, 1))")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _update(self, p: Parameter, group: dict, state: dict) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        wd = group["weight_decay"]
        if not state:
            state["step"] = 0.0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p.data)
        g = -p.grad if group["maximize"] else p.grad
        state["step"] += 1
        t = state["step"]
        if wd != 0:
            if group["decoupled_weight_decay"]:
                # theta <- theta (1 - lr lambda)
                p.data *= 1 - lr * wd
            else:
                # g <- g + lambda theta
                g = g + wd * p.data
        m, v = state["exp_avg"], state["exp_avg_sq"]
        # m_t = beta1 m + (1 - beta1) g, written m + (1 - beta1)(g - m) as PyTorch's lerp does
        m += (1 - beta1) * (g - m)
        # v_t = beta2 v + (1 - beta2) g^2
        v *= beta2
        v += (1 - beta2) * (g * g)
        bias_correction1 = 1 - beta1 ** t
        bias_correction2 = 1 - beta2 ** t
        step_size = lr / bias_correction1
        if group["amsgrad"]:
            # vmax_t = max(vmax_{t-1}, v_t)
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            second = state["max_exp_avg_sq"]
        else:
            second = v
        # denominator sqrt(v_t) / sqrt(1 - beta2^t) + eps
        denom = np.sqrt(second) / bias_correction2 ** 0.5 + eps
        # theta <- theta - lr / (1 - beta1^t) * m_t / denom
        p.data -= step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): ``theta <- theta (1 - lr lambda)`` first.

    Same parameters as :class:`Adam`; ``weight_decay`` defaults to 1e-2.

    Examples
    --------
    >>> from mlatlas.nn import Parameter
    >>> w = Parameter([1.0]); w.grad = np.array([0.0])
    >>> AdamW([w], lr=0.1, weight_decay=0.5).step(); w.data    # only the decay acts
    array([0.95])
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False,
                 *, maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
