"""Upsample (nearest, bilinear, bicubic, linear, trilinear) against PyTorch and by hand."""

import numpy as np
import pytest

from torch_parity import needs_torch, rel_err, torch

from mlatlas.nn import Upsample, gradcheck, interpolate
from mlatlas.nn.upsampling import interpolation_matrix

TOL = 1e-10



SPECS = [
    dict(scale_factor=2), dict(scale_factor=3), dict(scale_factor=1.7), dict(scale_factor=(2.5, 0.6)),
    dict(size=(9, 11)), dict(size=(2, 3)), dict(size=(7, 13)), dict(scale_factor=1.3, recompute_scale_factor=True),
]
MODES = [("nearest", None), ("bilinear", False), ("bilinear", True), ("bicubic", False), ("bicubic", True)]


@needs_torch
@pytest.mark.parametrize("mode,align_corners", MODES)
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: "-".join(f"{k}={v}" for k, v in s.items()))
def test_upsample_2d_matches_torch(rng, mode, align_corners, spec):
    for H, W in [(3, 5), (1, 4), (6, 6)]:
        x = rng.standard_normal((2, 3, H, W))
        xt = torch.tensor(x, requires_grad=True)
        yt = torch.nn.Upsample(mode=mode, align_corners=align_corners, **spec)(xt)
        layer = Upsample(mode=mode, align_corners=align_corners, **spec)
        y = layer(x)
        g = rng.standard_normal(y.shape)
        yt.backward(torch.tensor(g))
        assert rel_err(y, yt) <= TOL, (H, W)
        assert rel_err(layer.backward(g), xt.grad) <= TOL, (H, W)


@needs_torch
def test_nearest_index_rule_matches_torch_for_every_size(rng):
    """floor(dst * scale) in single precision, with the out == in and out == 2 in special cases."""
    mismatches = []
    for n_in in range(1, 25):
        x = rng.standard_normal((1, 1, 1, n_in))
        for n_out in range(1, 50):
            ref = torch.nn.functional.interpolate(torch.tensor(x), size=(1, n_out), mode="nearest").numpy()
            if not np.array_equal(Upsample(size=(1, n_out))(x), ref):
                mismatches.append(("size", n_in, n_out))
        for factor in (0.7, 1.1, 1.5, 2.2, 2.5, 3.3):
            if int(n_in * factor) < 1:
                continue
            ref = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=(1.0, factor), mode="nearest").numpy()
            if not np.array_equal(Upsample(scale_factor=(1.0, factor))(x), ref):
                mismatches.append(("scale", n_in, factor))
    assert not mismatches, mismatches[:10]


@needs_torch
@pytest.mark.parametrize("mode,shape,kwargs", [
    ("nearest", (2, 3, 5), dict(scale_factor=1.5)),
    ("linear", (2, 3, 5), dict(scale_factor=2.5, align_corners=False)),
    ("linear", (2, 3, 4), dict(size=9, align_corners=True)),
    ("nearest", (1, 2, 3, 4, 5), dict(size=(4, 6, 7))),
    ("trilinear", (1, 2, 3, 4, 5), dict(scale_factor=1.5, align_corners=False)),
    ("trilinear", (1, 2, 3, 4, 2), dict(size=(5, 5, 5), align_corners=True)),
])
def test_upsample_1d_3d_match_torch(rng, mode, shape, kwargs):
    x = rng.standard_normal(shape)
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.Upsample(mode=mode, **kwargs)(xt)
    layer = Upsample(mode=mode, **kwargs)
    y = layer(x)
    g = rng.standard_normal(y.shape)
    yt.backward(torch.tensor(g))
    assert rel_err(y, yt) <= TOL and rel_err(layer.backward(g), xt.grad) <= TOL


def test_nearest_by_hand():
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    np.testing.assert_array_equal(Upsample(scale_factor=2)(x)[0, 0],
                                  [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])
    # 3 -> 5: src = floor(dst * 3/5) = 0, 0, 1, 1, 2
    np.testing.assert_array_equal(interpolation_matrix(3, 5, "nearest").argmax(axis=1), [0, 0, 1, 1, 2])


def test_bilinear_by_hand():
    # align_corners=False, 2 -> 4: src = (dst + 0.5)/2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25
    A = interpolation_matrix(2, 4, "linear", align_corners=False)
    np.testing.assert_allclose(A, [[1, 0], [0.75, 0.25], [0.25, 0.75], [0, 1]])
    # align_corners=True, 2 -> 4: src = dst / 3
    A = interpolation_matrix(2, 4, "linear", align_corners=True)
    np.testing.assert_allclose(A, [[1, 0], [2 / 3, 1 / 3], [1 / 3, 2 / 3], [0, 1]])


def test_bicubic_weights_and_border_clamping():
    A = interpolation_matrix(4, 8, "cubic", align_corners=False)
    np.testing.assert_allclose(A.sum(axis=1), 1.0, rtol=1e-14)  # the cubic kernel's weights sum to 1
    # output 3 sits at src = 1.25: t = 0.25, taps 0..3 with Keys' weights (A = -0.75)
    a, t = -0.75, 0.25

    def w(s):
        s = abs(s)
        return (a + 2) * s**3 - (a + 3) * s**2 + 1 if s <= 1 else a * s**3 - 5 * a * s**2 + 8 * a * s - 4 * a

    np.testing.assert_allclose(A[3], [w(1 + t), w(t), w(1 - t), w(2 - t)], rtol=1e-14)
    # output 0 sits at src = 0.5 * 0.5 - 0.5 = -0.25: i0 = -1, t = 0.75, taps -2..1 clamp to 0, 0, 0, 1
    t0 = -0.25 - np.floor(-0.25)
    np.testing.assert_allclose(A[0, 0], w(1 + t0) + w(t0) + w(1 - t0), rtol=1e-14)
    # a constant image stays constant
    y = Upsample(scale_factor=3, mode="bicubic", align_corners=False)(np.full((1, 1, 3, 4), 2.5))
    np.testing.assert_allclose(y, 2.5, rtol=1e-14)


@pytest.mark.parametrize("mode,align_corners", MODES)
def test_gradcheck_upsample(rng, mode, align_corners):
    layer = Upsample(scale_factor=(1.5, 2), mode=mode, align_corners=align_corners)
    assert gradcheck(layer, rng.standard_normal((1, 2, 3, 3))).ok


def test_interpolate_function_and_dtype(rng):
    x = rng.standard_normal((1, 2, 3, 3)).astype(np.float32)
    y = interpolate(x, size=(5, 4), mode="bilinear")
    assert y.dtype == np.float32 and y.shape == (1, 2, 5, 4)
    layer = Upsample(scale_factor=2, mode="bicubic")
    assert layer.backward(np.ones_like(layer(x))).dtype == np.float32


def test_upsample_argument_errors():
    with pytest.raises(ValueError, match="align_corners"):
        Upsample(scale_factor=2, mode="nearest", align_corners=True)
    with pytest.raises(ValueError, match="only one of"):
        Upsample(size=4, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        Upsample()
    with pytest.raises(ValueError, match="mode"):
        Upsample(scale_factor=2, mode="area")
    with pytest.raises(ValueError, match="4-D"):
        Upsample(scale_factor=2, mode="bilinear")(np.zeros((1, 2, 3)))
