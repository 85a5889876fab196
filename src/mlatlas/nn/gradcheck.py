"""Check a module's hand-written backward against central finite differences.

For a module ``y = f(x; theta)`` pick a fixed random ``R`` shaped like ``y`` and the
scalar ``L = sum(R * f(x; theta))``.  Then ``dL/dx = module.backward(R)`` (and the
accumulated ``theta.grad``) must agree with the central differences

    dL/dx_i ~ (L(x + eps e_i) - L(x - eps e_i)) / (2 eps)

whose error is O(eps^2) (plus rounding of order machine-eps * |L| / eps; with float64
and ``eps = 1e-6`` both are around 1e-10 relative).  An element passes when
``|analytic - numeric| <= atol + rtol |numeric|`` (PyTorch's ``gradcheck`` criterion).

References
----------
PyTorch's ``torch.autograd.gradcheck``; CS231n notes, "Gradient checks".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .module import Module, as_float_array, to_numpy

__all__ = ["gradcheck", "GradcheckReport", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` when an analytic gradient disagrees with finite differences."""


@dataclass
class GradcheckReport:
    """Result of :func:`gradcheck`: one row per checked tensor.

    Attributes
    ----------
    ok : bool
        True when every element of every tensor passed.
    rows : list of dict
        ``name`` ("input" or a parameter name), ``shape``, ``max_abs_error``,
        ``max_rel_error`` (relative to the largest numeric gradient of that tensor),
        ``n_failed`` and ``ok``.
    """

    ok: bool
    rows: list = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{'tensor':<24} {'shape':<18} {'max abs err':>12} {'max rel err':>12}  ok"]
        for r in self.rows:
            lines.append(f"{r['name']:<24} {str(r['shape']):<18} {r['max_abs_error']:>12.3e} "
                         f"{r['max_rel_error']:>12.3e}  {'yes' if r['ok'] else 'NO'}")
        return "\n".join(lines)

    def __bool__(self) -> bool:
        return self.ok


def _objective(module: Module, x: np.ndarray, target: Any, R: np.ndarray) -> float:
    out = module(x) if target is None else module(x, target)
    return float(np.sum(np.asarray(out) * R))


def _central_differences(values: np.ndarray, objective, eps: float) -> np.ndarray:
    """dL/dv_i ~ (L(v + eps e_i) - L(v - eps e_i)) / (2 eps) for every element of ``values``.

    ``values`` is perturbed in place (any layout, views included), one element at a
    time, and restored.
    """
    grad = np.zeros(values.shape)
    for idx in np.ndindex(*values.shape):
        orig = values[idx]
        values[idx] = orig + eps
        plus = objective()
        values[idx] = orig - eps
        minus = objective()
        values[idx] = orig
        grad[idx] = (plus - minus) / (2 * eps)
    return grad


def gradcheck(module: Module, x: Any, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, *,
              target: Any = None, grad_out: Any = None, check_params: bool = True,
              raise_exception: bool = True, random_state: Any = 0) -> GradcheckReport:
    """Compare ``module.backward`` with central finite differences, for the input and every parameter.

    Parameters
    ----------
    module : Module
        Parameters must be float64.  Stochastic modules (dropout in training mode)
        must be put in eval mode first.  Buffers (running statistics) and gradients
        are restored afterwards.
    x : array_like
        The input (converted to float64).
    eps : float, default=1e-6
        Finite-difference step.
    atol, rtol : float
        Tolerances: an element fails when ``|analytic - numeric| > atol + rtol |numeric|``.
    target : array_like, optional, keyword-only
        For losses: ``module(x, target)`` is differentiated w.r.t. ``x``.
    grad_out : array_like, optional, keyword-only
        The ``R`` in ``L = sum(R * module(x))``; random normal by default.
    check_params : bool, default=True
        Also check every parameter's gradient.
    raise_exception : bool, default=True
        Raise :class:`GradcheckError` on a mismatch (else just return the report).
    random_state : None, int or Generator, default=0
        For the default ``grad_out``.

    Returns
    -------
    GradcheckReport

    Examples
    --------
    >>> from mlatlas.nn import Linear
    >>> report = gradcheck(Linear(3, 2, random_state=0), np.random.default_rng(0).normal(size=(4, 3)))
    >>> report.ok, [r["name"] for r in report.rows]
    (True, ['input', 'weight', 'bias'])
    """
    from ..base import check_random_state  # imported here: mlatlas.nn imports this module eagerly

    x = np.array(as_float_array(x), dtype=np.float64, copy=True)
    params = list(module.named_parameters()) if check_params else []
    for name, p in params:
        if p.data.dtype != np.float64:
            raise ValueError(f"gradcheck needs float64 parameters; {name!r} is {p.data.dtype}")
    saved_state = module.state_dict()
    saved_grads = [None if p.grad is None else p.grad.copy() for _, p in module.named_parameters()]
    try:
        # analytic gradients
        module.zero_grad()
        out = np.asarray(module(x) if target is None else module(x, target))
        if grad_out is None:
            R = check_random_state(random_state).standard_normal(out.shape)
        else:
            R = np.broadcast_to(np.asarray(to_numpy(grad_out), dtype=np.float64), out.shape).copy()
        analytic = {"input": np.asarray(module.backward(R if R.ndim else float(R)), dtype=np.float64)}
        for name, p in params:
            analytic[name] = np.zeros_like(p.data) if p.grad is None else p.grad.copy()

        # numeric gradients: central differences, one element at a time
        def objective():
            return _objective(module, x, target, R)

        numeric = {"input": _central_differences(x, objective, eps)}
        for name, p in params:
            numeric[name] = _central_differences(p.data, objective, eps)
    finally:
        module.load_state_dict(saved_state)
        for (_, p), g in zip(module.named_parameters(), saved_grads):
            p.grad = g

    rows, all_ok = [], True
    for name in ["input"] + [n for n, _ in params]:
        a, n = analytic[name], numeric[name]
        if a.shape != n.shape:
            raise GradcheckError(f"gradient of {name!r} has shape {a.shape}, expected {n.shape}")
        err = np.abs(a - n)
        failed = int(np.sum(err > atol + rtol * np.abs(n)))
        max_abs = float(err.max()) if err.size else 0.0
        scale = float(np.max(np.abs(n))) if n.size else 0.0
        rows.append(dict(name=name, shape=tuple(n.shape), max_abs_error=max_abs,
                         max_rel_error=max_abs / scale if scale > 0 else max_abs,
                         n_failed=failed, ok=failed == 0))
        all_ok &= failed == 0
    report = GradcheckReport(ok=all_ok, rows=rows)
    if not all_ok and raise_exception:
        raise GradcheckError(f"{type(module).__name__}: analytic and numeric gradients differ\n{report}")
    return report
