r"""The noise predictor of the diffusion model: a small U-Net eps_theta(x_t, t [, y]).

Shape of the network, for ``channels = (c_1, ..., c_L)``:

* a 3x3 convolution from the image's C channels to c_1;
* the way down: at level l, ``n_res_blocks`` residual blocks with c_l channels, then
  (except at the last level) a 3x3 convolution of stride 2 that halves H and W;
  every block's output is kept for a skip connection;
* the middle, at the lowest resolution: residual block, self-attention over the
  H W positions, residual block;
* the way up, mirrored: at each level ``n_res_blocks + 1`` residual blocks, each
  taking the concatenation of the path and one saved skip, then (except at the top)
  nearest-neighbour upsampling by 2 followed by a 3x3 convolution;
* GroupNorm, SiLU and a 3x3 convolution back to C channels: the predicted noise.

A residual block is

    h = conv3x3(SiLU(GroupNorm(x)))
    h = h + Linear(SiLU(e))                         (the embedding e, broadcast over H, W)
    h = conv3x3(Dropout(SiLU(GroupNorm(h))))
    out = h + skip(x)                               (skip: identity, or a 1x1 conv when channels change)

and the embedding e of a step t (and a label y) is

    e = MLP(sinusoid(t)) + Embedding(y),
    sinusoid(t)_i = sin(t w_i), sinusoid(t)_{i + d/2} = cos(t w_i),  w_i = 10000^(-i / (d/2)),

with the learned row ``n_classes`` of the label table standing for "no label" (used
for unconditional samples and for classifier-free guidance).  Images must have
sides divisible by 2^(L - 1), the total downsampling.

References
----------
Ronneberger, Fischer & Brox, "U-Net", MICCAI (2015); Ho, Jain & Abbeel, "Denoising
diffusion probabilistic models", NeurIPS (2020); Vaswani et al., "Attention is all
you need", NeurIPS (2017) (the sinusoidal embedding).

Examples
--------
>>> import torch
>>> net = UNet(in_channels=1, channels=(16, 32), n_res_blocks=1, n_classes=10)
>>> x, t = torch.zeros(2, 1, 8, 8), torch.tensor([1, 500])
>>> net(x, t, torch.tensor([3, 10])).shape
torch.Size([2, 1, 8, 8])
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from .._torch import import_torch

torch = import_torch()
nn = torch.nn
F = torch.nn.functional

__all__ = ["UNet", "sinusoidal_embedding", "check_image_size"]


def sinusoidal_embedding(t: Any, dim: int) -> Any:
    """(n,) step numbers -> (n, dim) features [sin(t w_i), cos(t w_i)], w_i = 10000^(-i / (dim/2))."""
    half = dim // 2
    # w_i = exp(-ln(10000) i / half), i = 0..half-1
    w = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    angles = t.float()[:, None] * w[None, :]                      # (n, half)
    return torch.cat([angles.sin(), angles.cos()], dim=1)         # (n, 2 half)


def check_image_size(height: int, width: int, levels: int) -> None:
    """ValueError unless both sides divide by the U-Net's downsampling 2^(levels - 1)."""
    factor = 2 ** (levels - 1)
    if height % factor or width % factor:
        raise ValueError(f"the U-Net with {levels} levels halves the image {levels - 1} times, so its sides must "
                         f"divide by {factor}; got {height}x{width} (pad the images or use fewer channels levels).")


def _groups(channels: int, wanted: int) -> int:
    """The largest group count <= ``wanted`` that divides ``channels``."""
    g = min(wanted, channels)
    while channels % g:
        g -= 1
    return g


class ResidualBlock(nn.Module):
    """GroupNorm-SiLU-conv twice, the embedding added in between, plus a skip (see the module doc)."""

    def __init__(self, c_in: int, c_out: int, emb_dim: int, groups: int, dropout: float) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(_groups(c_in, groups), c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.emb = nn.Linear(emb_dim, c_out)
        self.norm2 = nn.GroupNorm(_groups(c_out, groups), c_out)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Identity() if c_in == c_out else nn.Conv2d(c_in, c_out, 1)

    def forward(self, x: Any, e: Any) -> Any:
        # h = conv(SiLU(GN(x)))
        h = self.conv1(F.silu(self.norm1(x)))
        # h = h + Linear(SiLU(e)), broadcast over the positions
        h = h + self.emb(F.silu(e))[:, :, None, None]
        # h = conv(Dropout(SiLU(GN(h))))
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return h + self.skip(x)


class SelfAttention(nn.Module):
    """Multi-head self-attention over the H W positions, with a residual connection.

    out = x + W_o softmax(Q K^T / sqrt(d)) V,   [Q, K, V] = W_qkv GroupNorm(x)   (per head)
    """

    def __init__(self, channels: int, groups: int, heads: int = 4) -> None:
        super().__init__()
        self.heads = heads if channels % heads == 0 else 1
        self.norm = nn.GroupNorm(_groups(channels, groups), channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.out = nn.Conv2d(channels, channels, 1)

    def forward(self, x: Any) -> Any:
        n, c, h, w = x.shape
        d = c // self.heads
        qkv = self.qkv(self.norm(x)).reshape(n, 3, self.heads, d, h * w)   # (n, 3, heads, d, HW)
        q, k, v = (qkv[:, i].transpose(-1, -2) for i in range(3))          # each (n, heads, HW, d)
        # softmax(Q K^T / sqrt(d)) V
        attended = F.scaled_dot_product_attention(q, k, v)                 # (n, heads, HW, d)
        attended = attended.transpose(-1, -2).reshape(n, c, h, w)
        return x + self.out(attended)


class UNet(nn.Module):
    """eps_theta(x_t, t [, y]) for images (n, C, H, W) with H, W divisible by 2^(len(channels) - 1).

    Parameters
    ----------
    in_channels : int
        C, the image channels (the output has as many).
    channels : sequence of int
        Feature maps at each resolution, top (full size) first.
    n_res_blocks : int
        Residual blocks per level on the way down (one more on the way up).
    n_classes : int, optional
        Number of labels; the embedding table gets one more row, the "no label" token
        (index ``n_classes``).  None: no label input.
    emb_dim : int, optional
        Width of the step (and label) embedding; default 4 c_1.
    groups : int
        GroupNorm groups (reduced to a divisor of each width).
    dropout : float
        Dropout inside the residual blocks.
    attention : bool
        Self-attention in the middle, at the lowest resolution.
    """

    def __init__(self, in_channels: int = 1, channels: Sequence[int] = (32, 64), n_res_blocks: int = 1,
                 n_classes: int | None = None, emb_dim: int | None = None, groups: int = 8,
                 dropout: float = 0.0, attention: bool = True) -> None:
        super().__init__()
        channels = [int(c) for c in channels]
        self.levels = len(channels)
        self.n_classes = n_classes
        self.base = channels[0]
        emb_dim = emb_dim or 4 * channels[0]
        self.time_mlp = nn.Sequential(nn.Linear(channels[0], emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        # rows 0..n_classes-1: the labels; row n_classes: the learned "no label" token
        self.label_embedding = nn.Embedding(n_classes + 1, emb_dim) if n_classes is not None else None
        self.stem = nn.Conv2d(in_channels, channels[0], 3, padding=1)

        self.down = nn.ModuleList()
        skip_channels = [channels[0]]
        c = channels[0]
        for level, width in enumerate(channels):
            for _ in range(n_res_blocks):
                self.down.append(ResidualBlock(c, width, emb_dim, groups, dropout))
                c = width
                skip_channels.append(c)
            if level < self.levels - 1:
                self.down.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
                skip_channels.append(c)

        self.mid1 = ResidualBlock(c, c, emb_dim, groups, dropout)
        self.mid_attention = SelfAttention(c, groups) if attention else nn.Identity()
        self.mid2 = ResidualBlock(c, c, emb_dim, groups, dropout)

        self.up = nn.ModuleList()
        for level in reversed(range(self.levels)):
            width = channels[level]
            for _ in range(n_res_blocks + 1):
                self.up.append(ResidualBlock(c + skip_channels.pop(), width, emb_dim, groups, dropout))
                c = width
            if level > 0:
                self.up.append(nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                                             nn.Conv2d(c, c, 3, padding=1)))
        self.head = nn.Sequential(nn.GroupNorm(_groups(c, groups), c), nn.SiLU(),
                                  nn.Conv2d(c, in_channels, 3, padding=1))

    def embedding(self, t: Any, y: Any = None) -> Any:
        """e = MLP(sinusoid(t)) + Embedding(y); ``y`` None (or the index n_classes) is "no label"."""
        e = self.time_mlp(sinusoidal_embedding(t, self.base))
        if self.label_embedding is not None:
            if y is None:
                y = torch.full_like(t, self.n_classes)
            e = e + self.label_embedding(y)
        return e

    def forward(self, x: Any, t: Any, y: Any = None) -> Any:
        """Predicted noise, the shape of ``x`` (n, C, H, W); ``t`` (n,) step numbers; ``y`` (n,) labels."""
        check_image_size(x.shape[2], x.shape[3], self.levels)
        e = self.embedding(t, y)
        h = self.stem(x)
        skips = [h]
        for layer in self.down:
            h = layer(h, e) if isinstance(layer, ResidualBlock) else layer(h)
            skips.append(h)
        h = self.mid2(self.mid_attention(self.mid1(h, e)), e)
        for layer in self.up:
            if isinstance(layer, ResidualBlock):
                h = layer(torch.cat([h, skips.pop()], dim=1), e)
            else:
                h = layer(h)
        return self.head(h)
