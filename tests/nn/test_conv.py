"""Conv2d and ConvTranspose2d against PyTorch (float64, forward and backward) and by hand."""

import numpy as np
import pytest

from torch_parity import needs_torch, rel_err, torch

from mlatlas.nn import Conv2d, ConvTranspose2d, gradcheck
from mlatlas.nn.conv import col2im, conv2d, conv_transpose2d, im2col

TOL = 1e-10



def _fast_plan_path(monkeypatch, *, flat, one_image_chunks, threads):
    """Steer the fast plan: the flat plane grid or the strided gather, chunk size, threads."""
    from mlatlas import _parallel
    from mlatlas.nn import _conv_kernels

    monkeypatch.setattr(_conv_kernels, "_MAX_GRID_WASTE", 1e9 if flat else 0.0)
    if one_image_chunks:
        monkeypatch.setattr(_conv_kernels, "_CHUNK_BYTES", 1)
        monkeypatch.setattr(_parallel, "blas_threads", lambda: threads)


def run_both(ours, theirs, x, rng):
    theirs = theirs.double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    xt = torch.tensor(x, requires_grad=True)
    y, yt = ours(x), theirs(xt)
    g = rng.standard_normal(y.shape)
    yt.backward(torch.tensor(g))
    dx = ours.backward(g)
    errors = {"forward": rel_err(y, yt), "input grad": rel_err(dx, xt.grad)}
    for (name, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        errors[name] = rel_err(p.grad, tp.grad)
    return errors


CONV_SETTINGS = [
    # in, out, kernel, stride, padding, dilation, groups, bias, input (N, H, W)
    (3, 4, 3, 1, 1, 1, 1, True, (2, 7, 8)),
    (2, 5, (2, 3), (2, 1), (1, 0), 1, 1, False, (3, 6, 5)),
    (4, 6, 3, 2, 2, (2, 1), 2, True, (2, 9, 8)),
    (1, 2, 5, 3, 0, 1, 1, True, (1, 11, 13)),
    (3, 3, 1, 1, 0, 1, 3, True, (2, 4, 4)),
    (2, 4, 3, 1, "same", 2, 1, True, (2, 6, 7)),
    (2, 4, (2, 4), 1, "same", 1, 1, True, (2, 5, 6)),
    (2, 3, 3, 2, "valid", 1, 1, True, (2, 8, 7)),
]


@needs_torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("setting", CONV_SETTINGS)
def test_conv2d_matches_torch(rng, setting):
    cin, cout, k, s, p, d, g, bias, (n, h, w) = setting
    ours = Conv2d(cin, cout, k, s, p, d, g, bias, random_state=0)
    theirs = torch.nn.Conv2d(cin, cout, k, s, p, d, g, bias)
    errors = run_both(ours, theirs, rng.standard_normal((n, cin, h, w)), rng)
    assert max(errors.values()) <= TOL, errors


CONVT_SETTINGS = [
    # in, out, kernel, stride, padding, output_padding, groups, bias, dilation, input (N, H, W)
    (3, 4, 3, 1, 1, 0, 1, True, 1, (2, 5, 6)),
    (2, 3, 4, 2, 1, 0, 1, True, 1, (2, 4, 5)),
    (4, 6, (2, 3), (2, 3), (1, 0), (1, 2), 2, False, 1, (2, 5, 4)),
    (2, 2, 3, 2, 1, 1, 1, True, 2, (1, 4, 4)),
    (1, 3, 2, 1, 0, 0, 1, True, 1, (3, 2, 2)),
    (3, 2, 5, 3, 2, (2, 1), 1, True, 1, (2, 3, 4)),
]


@needs_torch
@pytest.mark.parametrize("setting", CONVT_SETTINGS)
def test_conv_transpose2d_matches_torch(rng, setting):
    cin, cout, k, s, p, op, g, bias, d, (n, h, w) = setting
    ours = ConvTranspose2d(cin, cout, k, s, p, op, g, bias, d, random_state=0)
    theirs = torch.nn.ConvTranspose2d(cin, cout, k, s, p, op, g, bias, d)
    errors = run_both(ours, theirs, rng.standard_normal((n, cin, h, w)), rng)
    assert max(errors.values()) <= TOL, errors


@needs_torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("flat", [True, False], ids=["plane-grid", "strided-gather"])
@pytest.mark.parametrize("threads", [1, 3])
def test_every_execution_path_matches_torch(rng, monkeypatch, flat, threads):
    """One image per chunk, on 1 or 3 threads, with the contiguous or the strided gather."""
    _fast_plan_path(monkeypatch, flat=flat, one_image_chunks=True, threads=threads)
    for setting in (CONV_SETTINGS[0], CONV_SETTINGS[2], CONV_SETTINGS[5]):
        cin, cout, k, s, p, d, g, bias, (n, h, w) = setting
        ours = Conv2d(cin, cout, k, s, p, d, g, bias, random_state=0)
        errors = run_both(ours, torch.nn.Conv2d(cin, cout, k, s, p, d, g, bias),
                          rng.standard_normal((5, cin, h, w)), rng)
        assert max(errors.values()) <= TOL, (setting, errors)
    for setting in (CONVT_SETTINGS[1], CONVT_SETTINGS[2], CONVT_SETTINGS[3]):
        cin, cout, k, s, p, op, g, bias, d, (n, h, w) = setting
        ours = ConvTranspose2d(cin, cout, k, s, p, op, g, bias, d, random_state=0)
        errors = run_both(ours, torch.nn.ConvTranspose2d(cin, cout, k, s, p, op, g, bias, d),
                          rng.standard_normal((5, cin, h, w)), rng)
        assert max(errors.values()) <= TOL, (setting, errors)


def test_transposed_convolution_of_the_notes_by_hand():
    """A 2x2 input and a 2x2 kernel give a 3x3 output: four stamped kernels, overlaps added."""
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    k = np.array([[[[1.0, 10.0], [100.0, 1000.0]]]])
    y = conv_transpose2d(x, k)[0, 0]
    expected = np.zeros((3, 3))
    for a in range(2):
        for b in range(2):
            expected[a: a + 2, b: b + 2] += x[0, 0, a, b] * k[0, 0]
    np.testing.assert_array_equal(y, expected)
    # and it is the adjoint of the convolution with the same kernel: <conv(z), x> = <z, convT(x)>
    z = np.random.default_rng(0).standard_normal((1, 1, 3, 3))
    assert abs(np.sum(conv2d(z, k) * x) - np.sum(z[0, 0] * y)) < 1e-9


def test_conv2d_by_hand():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    w = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])
    y = conv2d(x, w, np.array([0.5]), stride=2)
    # y[a, b] = x[2a, 2b] - x[2a+1, 2b+1] + 0.5 = -5 + 0.5 everywhere
    np.testing.assert_array_equal(y, np.full((1, 1, 2, 2), -4.5))


def test_plain_im2col_definition_gives_the_layer_output(rng):
    """The fast layer equals the textbook form Y = W im2col(x_padded)."""
    layer = Conv2d(3, 4, (3, 2), stride=(2, 1), padding=1, dilation=(1, 2), random_state=0)
    x = rng.standard_normal((2, 3, 7, 6))
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    y = layer(x)
    cols = im2col(xp, (3, 2), (2, 1), (1, 2), y.shape[2:])  # (C, kh, kw, N, ho, wo)
    expected = (layer.weight.data.reshape(4, -1) @ cols.reshape(3 * 3 * 2, -1)).reshape(4, 2, *y.shape[2:])
    expected = expected.transpose(1, 0, 2, 3) + layer.bias.data[:, None, None]
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


def test_im2col_col2im_are_adjoint(rng):
    xp = rng.standard_normal((2, 3, 9, 8))
    args = ((3, 2), (2, 3), (1, 2), (4, 2))
    cols = im2col(xp, *args)
    other = rng.standard_normal(cols.shape)
    back = col2im(other, xp.shape[2:], args[1], args[2])
    assert abs(np.sum(cols * other) - np.sum(xp * back)) < 1e-9


@pytest.mark.parametrize("cls,kwargs", [(Conv2d, dict(stride=2, padding=1, dilation=2)),
                                        (ConvTranspose2d, dict(stride=2, padding=1, output_padding=1))])
def test_gradcheck_conv_layers(rng, cls, kwargs):
    layer = cls(2, 3, 3, random_state=0, **kwargs)
    report = gradcheck(layer, rng.standard_normal((2, 2, 5, 4)))
    assert report.ok and {r["name"] for r in report.rows} == {"input", "weight", "bias"}


@pytest.mark.parametrize("cls", [Conv2d, ConvTranspose2d])
def test_float32_in_float32_out(rng, cls):
    layer = cls(2, 3, 3, padding=1, dtype=np.float32, random_state=0)
    x = rng.standard_normal((2, 2, 6, 6)).astype(np.float32)
    y = layer(x)
    assert y.dtype == np.float32
    assert layer.backward(np.ones_like(y)).dtype == np.float32
    assert layer.weight.grad.dtype == np.float32
    ref = cls(2, 3, 3, padding=1, random_state=0)  # same draws, float64
    np.testing.assert_allclose(y, ref(x.astype(np.float64)), rtol=1e-4, atol=1e-5)


def test_default_init_bounds_follow_torch():
    conv = Conv2d(4, 8, 3, random_state=0)
    bound = 1 / np.sqrt(4 * 9)
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.weight.data).max() > 0.8 * bound
    convt = ConvTranspose2d(4, 8, 3, random_state=0)
    assert np.abs(convt.weight.data).max() <= 1 / np.sqrt(8 * 9)


def test_conv_errors():
    with pytest.raises(ValueError, match="input channels"):
        Conv2d(3, 2, 3)(np.zeros((1, 2, 5, 5)))
    with pytest.raises(ValueError, match="4-D"):
        Conv2d(3, 2, 3)(np.zeros((3, 5, 5)))
    with pytest.raises(ValueError, match="divisible by groups"):
        Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="smaller than the dilated kernel"):
        Conv2d(1, 1, 5)(np.zeros((1, 1, 3, 3)))
    with pytest.raises(ValueError, match="strided"):
        Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode"):
        Conv2d(1, 1, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="output_padding"):
        ConvTranspose2d(1, 1, 3, stride=2, output_padding=2)


# --- the plain layers (im2col / col2im on the whole batch) and the fast plan agree ------

PATHS = [dict(flat=True, one_image_chunks=False, threads=1), dict(flat=False, one_image_chunks=False, threads=1),
         dict(flat=True, one_image_chunks=True, threads=3), dict(flat=False, one_image_chunks=True, threads=3)]
PATH_IDS = ["plane-grid", "strided-gather", "plane-grid-3-threads", "strided-gather-3-threads"]


def _assert_close(ours, plain, what):
    scale = max(float(np.max(np.abs(plain))), 1e-300)
    np.testing.assert_allclose(ours, plain, rtol=0, atol=1e-13 * scale, err_msg=what)


def _fast_against_plain(layer, x, rng):
    """Forward and backward of ``layer`` (the fast plan) against the plain functions."""
    from mlatlas.nn import conv as c

    y = layer(x)
    g = rng.standard_normal(y.shape)
    dx = layer.backward(g)
    w, b = layer.weight.data, None if layer.bias is None else layer.bias.data
    if isinstance(layer, Conv2d):
        args = (layer._pads(), layer.stride, layer.dilation, layer.groups)
        y_plain = c._conv2d_plain(x, w, b, *args)
        grads = c._conv2d_backward_plain(x, w, g, *args)
    else:
        args = (layer.padding, layer.output_padding, layer.stride, layer.dilation, layer.groups)
        y_plain = c._conv_transpose2d_plain(x, w, b, *args)
        grads = c._conv_transpose2d_backward_plain(x, w, g, *args)
    assert y.shape == y_plain.shape and dx.shape == grads[0].shape == x.shape
    _assert_close(y, y_plain, "forward")
    _assert_close(dx, grads[0], "input gradient")
    _assert_close(layer.weight.grad, grads[1], "weight gradient")
    if layer.bias is not None:
        _assert_close(layer.bias.grad, grads[2], "bias gradient")


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("path", PATHS, ids=PATH_IDS)
def test_plain_layers_equal_the_fast_plan(rng, monkeypatch, path):
    _fast_plan_path(monkeypatch, **path)
    for cin, cout, k, s, p, d, g, bias, (n, h, w) in CONV_SETTINGS:
        _fast_against_plain(Conv2d(cin, cout, k, s, p, d, g, bias, random_state=0),
                            rng.standard_normal((max(n, 3), cin, h, w)), rng)
    for cin, cout, k, s, p, op, g, bias, d, (n, h, w) in CONVT_SETTINGS:
        _fast_against_plain(ConvTranspose2d(cin, cout, k, s, p, op, g, bias, d, random_state=0),
                            rng.standard_normal((max(n, 3), cin, h, w)), rng)


def test_plain_layers_equal_the_fast_plan_on_random_geometries(monkeypatch):
    _fast_plan_path(monkeypatch, flat=True, one_image_chunks=True, threads=2)
    rng = np.random.default_rng(11)
    checked = 0
    for transposed, geometry, x in _random_cases(rng):
        layer = (ConvTranspose2d if transposed else Conv2d)(**geometry, random_state=0)
        try:
            layer(x)
        except ValueError:  # an empty output: not a valid geometry for this input
            continue
        _fast_against_plain(layer, x, rng)
        checked += 1
        if checked == 40:
            break


def _random_cases(rng):
    """Endless random (transposed?, geometry, input) draws: small images, big strided dilated kernels."""
    while True:
        geometry = _random_geometry(rng)
        n, h, w = int(rng.integers(1, 4)), int(rng.integers(1, 9)), int(rng.integers(1, 9))
        transposed = bool(rng.integers(0, 2))
        if transposed:
            s, d = geometry["stride"], geometry["dilation"]
            geometry["output_padding"] = tuple(int(rng.integers(0, max(a, b))) for a, b in zip(s, d))
        yield transposed, geometry, rng.standard_normal((n, geometry["in_channels"], h, w))


def _random_geometry(rng):
    g = int(rng.choice([1, 2]))
    return dict(in_channels=g * int(rng.integers(1, 3)), out_channels=g * int(rng.integers(1, 3)), groups=g,
                kernel_size=(int(rng.integers(1, 5)), int(rng.integers(1, 5))),
                stride=(int(rng.integers(1, 4)), int(rng.integers(1, 4))),
                dilation=(int(rng.integers(1, 3)), int(rng.integers(1, 3))),
                padding=(int(rng.integers(0, 3)), int(rng.integers(0, 3))))


@needs_torch
@pytest.mark.parametrize("one_image_chunks", [False, True], ids=["default-chunks", "one-image-chunks-3-threads"])
def test_random_geometries_match_torch(monkeypatch, one_image_chunks):
    """Many kernel/stride/dilation/padding/size combinations, on the flat plane grid.

    The flat grid stores rows and images with shared zero padding (the reads and writes of
    one row may run into the next row's padding); tiny images with big strided, dilated
    kernels are where that could go wrong.
    """
    _fast_plan_path(monkeypatch, flat=True, one_image_chunks=one_image_chunks, threads=3)
    rng = np.random.default_rng(7)
    checked = 0
    for transposed, geometry, x in _random_cases(rng):
        ours_cls, torch_cls = (ConvTranspose2d, torch.nn.ConvTranspose2d) if transposed else (Conv2d, torch.nn.Conv2d)
        theirs = torch_cls(**geometry)
        try:
            theirs.double()(torch.tensor(x))
        except RuntimeError:  # an empty output: not a valid geometry for this input
            continue
        errors = run_both(ours_cls(**geometry, random_state=0), theirs, x, rng)
        assert max(errors.values()) <= TOL, (ours_cls.__name__, geometry, x.shape, errors)
        checked += 1
        if checked == 40:
            break
