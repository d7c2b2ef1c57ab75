"""DARTS' CIFAR evaluation network (``NetworkCIFAR``) for a DARTS-space cell, in torch.

Written from quark0/darts ``cnn/model.py`` and ``cnn/operations.py`` (layout and cost counts in
`surrogate_nb.space.darts_cost`, named settings in `surrogate_nb.space.darts_presets`). The same
modules, parameters and computation, with these documented differences:

* ``forward`` returns the logits, or ``(logits, aux_logits)`` in training mode when the network
  has an auxiliary head (DARTS always returns a pair, ``aux_logits`` None outside training);
* the auxiliary head pools with DARTS' AvgPool(5, stride 3) where that gives the 2x2 map the head
  is built for (an 8-10 pixel map at 2/3 depth: 32x32 images); on other maps (e.g. 16x16 images,
  where DARTS' head fails) it pools adaptively to 2x2: same parameters, same Conv/Linear FLOPs;
* the auxiliary head's first ReLU is not in place (DARTS' rewrites the main path's feature map,
  which changes the output only when the head sits on the last cell, i.e. ``layers`` <= 2);
* drop path (training only, on every op but the identity ``skip_connect``) multiplies by a fresh
  per-sample Bernoulli(1 - p) mask / (1 - p) out of place, on any device;
* ``affine_ops=False`` builds the cell ops with non-affine BN (the published tables' count);
* images of another number of channels (``in_channels``) and any side divisible by
  2^(reduction cells) are accepted; other sides are refused with one line (`check_layout`).

``net.drop_path_prob`` is a plain attribute: DARTS' trainer sets it each epoch
(``drop_path_prob * epoch / epochs``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from surrogate_nb.space.darts import OPS, Genome
from surrogate_nb.space.darts_cost import (
    AUX_MID,
    AUX_OUT,
    STEM_MULTIPLIER,
    check_layout,
    reduction_cells,
)
from surrogate_nb.space.darts_presets import PRESETS, DartsNetworkPreset, get_preset

__all__ = [
    "PRESETS",
    "AuxiliaryHeadCIFAR",
    "Cell",
    "DartsNetworkPreset",
    "FactorizedReduce",
    "NetworkCIFAR",
    "build_darts_network",
    "drop_path",
    "make_op",
]


class ReLUConvBN(nn.Sequential):
    """ReLU -> Conv(k, stride, padding, no bias) -> BN."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int, affine: bool):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )


class DilConv(nn.Sequential):
    """ReLU -> depthwise k×k (dilation) -> pointwise 1x1 -> BN."""

    def __init__(self, c: int, kernel: int, stride: int, padding: int, dilation: int, affine: bool):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c, c, kernel, stride, padding, dilation=dilation, groups=c, bias=False),
            nn.Conv2d(c, c, 1, bias=False),
            nn.BatchNorm2d(c, affine=affine),
        )


class SepConv(nn.Sequential):
    """Two (ReLU -> depthwise k×k -> pointwise 1x1 -> BN) stacks, the first with the stride."""

    def __init__(self, c: int, kernel: int, stride: int, padding: int, affine: bool):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c, c, kernel, stride, padding, groups=c, bias=False),
            nn.Conv2d(c, c, 1, bias=False),
            nn.BatchNorm2d(c, affine=affine),
            nn.ReLU(inplace=False),
            nn.Conv2d(c, c, kernel, 1, padding, groups=c, bias=False),
            nn.Conv2d(c, c, 1, bias=False),
            nn.BatchNorm2d(c, affine=affine),
        )


class FactorizedReduce(nn.Module):
    """ReLU, then two 1x1 stride-2 convs (on x and on x shifted by one pixel) concatenated, BN."""

    def __init__(self, c_in: int, c_out: int, affine: bool = True) -> None:
        super().__init__()
        if c_out % 2:
            raise ValueError(
                f"FactorizedReduce needs an even number of output channels, got {c_out}"
            )
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1))


def make_op(name: str, c: int, stride: int, affine: bool = True) -> nn.Module:
    """One evaluation-network op of `OPS` at ``c`` channels (DARTS' ``OPS[name](C, stride)``)."""
    if name == "max_pool_3x3":
        return nn.MaxPool2d(3, stride=stride, padding=1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(c, c, affine=affine)
    if name.startswith("sep_conv_"):
        k = int(name[-1])
        return SepConv(c, k, stride, k // 2, affine)
    if name.startswith("dil_conv_"):
        k = int(name[-1])
        return DilConv(c, k, stride, k - 1, 2, affine)
    raise ValueError(f"unknown DARTS op {name!r}; ops are {', '.join(OPS)}")


def drop_path(x: torch.Tensor, drop_prob: float) -> torch.Tensor:
    """Zero whole samples with probability ``drop_prob``, scale the kept ones by 1/(1-p)."""
    if drop_prob <= 0.0:
        return x
    keep = 1.0 - drop_prob
    mask = torch.empty(x.shape[0], 1, 1, 1, dtype=x.dtype, device=x.device).bernoulli_(keep)
    return x * mask / keep


class Cell(nn.Module):
    """One evaluation cell: preprocess both inputs to ``c`` channels, 4 nodes, concat (4c)."""

    def __init__(
        self,
        pairs: tuple[tuple[int, int], ...],
        c_pp: int,
        c_p: int,
        c: int,
        reduction: bool,
        reduction_prev: bool,
        affine_ops: bool = True,
    ) -> None:
        super().__init__()
        self.reduction = reduction
        if reduction_prev:
            self.preprocess0: nn.Module = FactorizedReduce(c_pp, c)
        else:
            self.preprocess0 = ReLUConvBN(c_pp, c, 1, 1, 0, affine=True)
        self.preprocess1 = ReLUConvBN(c_p, c, 1, 1, 0, affine=True)
        self._indices = tuple(inp for inp, _ in pairs)
        self._ops = nn.ModuleList(
            make_op(OPS[op], c, 2 if reduction and inp < 2 else 1, affine_ops) for inp, op in pairs
        )
        self.multiplier = len(pairs) // 2

    def forward(self, s0: torch.Tensor, s1: torch.Tensor, drop_prob: float) -> torch.Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        dropping = self.training and drop_prob > 0.0
        for node in range(len(self._ops) // 2):
            total = None
            for e in (2 * node, 2 * node + 1):
                op = self._ops[e]
                h = op(states[self._indices[e]])
                if dropping and not isinstance(op, nn.Identity):
                    h = drop_path(h, drop_prob)
                total = h if total is None else total + h
            states.append(total)
        return torch.cat(states[2:], dim=1)


class AuxiliaryHeadCIFAR(nn.Module):
    """DARTS' auxiliary classifier: ReLU, pool to 2x2, 1x1 conv 128 + BN, ReLU, 2x2 conv 768 + BN,
    ReLU, Linear (pooling: see the module docstring)."""

    def __init__(self, c: int, num_classes: int) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.ReLU(inplace=False),
            _AuxPool(),
            nn.Conv2d(c, AUX_MID, 1, bias=False),
            nn.BatchNorm2d(AUX_MID),
            nn.ReLU(inplace=True),
            nn.Conv2d(AUX_MID, AUX_OUT, 2, bias=False),
            nn.BatchNorm2d(AUX_OUT),
            nn.ReLU(inplace=True),
        )
        self.classifier = nn.Linear(AUX_OUT, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).flatten(1))


class _AuxPool(nn.Module):
    """DARTS' AvgPool(5, stride 3, no padding) on 8-10 pixel maps, else adaptive to 2x2."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if 8 <= x.shape[-2] <= 10 and 8 <= x.shape[-1] <= 10:
            return F.avg_pool2d(x, 5, stride=3, padding=0, count_include_pad=False)
        return F.adaptive_avg_pool2d(x, 2)


class NetworkCIFAR(nn.Module):
    """DARTS' CIFAR evaluation network around one (normal, reduction) cell pair.

    Args:
        genome: the cell pair.
        num_classes: classifier outputs.
        C: channels of the first cells (the stem has 3C; each reduction doubles it).
        layers: cells in all; cells ``layers // 3`` and ``2 * layers // 3`` reduce.
        auxiliary: add DARTS' auxiliary head after cell ``2 * layers // 3`` (training only).
        drop_path_prob: initial ``self.drop_path_prob`` (the trainer may set it every epoch).
        in_channels: image channels.
        affine_ops: affine BN inside the cell ops (DARTS' network); False gives the published
            tables' network (stem, preprocessing, classifier and auxiliary BN stay affine).
        resolution: if given, the image side, checked now (`check_layout`); every forward checks
            the side of its input anyway.
    """

    def __init__(
        self,
        genome: Genome,
        num_classes: int,
        C: int,
        layers: int,
        auxiliary: bool,
        drop_path_prob: float = 0.0,
        in_channels: int = 3,
        affine_ops: bool = True,
        resolution: int | None = None,
    ) -> None:
        super().__init__()
        check_layout(C, layers, resolution)
        self.genome = genome
        self._layers = layers
        self._auxiliary = auxiliary
        self._aux_at = 2 * layers // 3
        self.drop_path_prob = float(drop_path_prob)
        c_curr = STEM_MULTIPLIER * C
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, c_curr, 3, padding=1, bias=False), nn.BatchNorm2d(c_curr)
        )
        c_pp, c_p, c_curr = c_curr, c_curr, C
        reductions = reduction_cells(layers)
        self.cells = nn.ModuleList()
        reduction_prev = False
        c_aux = c_p
        for i in range(layers):
            reduction = i in reductions
            if reduction:
                c_curr *= 2
            pairs = genome.reduce if reduction else genome.normal
            cell = Cell(pairs, c_pp, c_p, c_curr, reduction, reduction_prev, affine_ops)
            self.cells.append(cell)
            reduction_prev = reduction
            c_pp, c_p = c_p, cell.multiplier * c_curr
            if i == self._aux_at:
                c_aux = c_p
        if auxiliary:
            self.auxiliary_head = AuxiliaryHeadCIFAR(c_aux, num_classes)
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        check_layout(1, self._layers, int(x.shape[-1]))
        if x.shape[-2] != x.shape[-1]:
            check_layout(1, self._layers, int(x.shape[-2]))
        aux = None
        s0 = s1 = self.stem(x)
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1, self.drop_path_prob)
            if i == self._aux_at and self._auxiliary and self.training:
                aux = self.auxiliary_head(s1)
        logits = self.classifier(self.global_pooling(s1).flatten(1))
        return logits if aux is None else (logits, aux)


def build_darts_network(
    genome: Genome,
    num_classes: int,
    preset: str | DartsNetworkPreset = "nb301",
    *,
    channels: int | None = None,
    layers: int | None = None,
    auxiliary: bool | None = None,
    drop_path_prob: float | None = None,
    in_channels: int = 3,
    affine_ops: bool = True,
    resolution: int | None = None,
) -> NetworkCIFAR:
    """`NetworkCIFAR` with a named preset's settings (`PRESETS`); a field given here overrides
    the preset's."""
    p = get_preset(preset)
    return NetworkCIFAR(
        genome,
        num_classes,
        C=p.channels if channels is None else channels,
        layers=p.layers if layers is None else layers,
        auxiliary=p.auxiliary if auxiliary is None else auxiliary,
        drop_path_prob=p.drop_path_prob if drop_path_prob is None else drop_path_prob,
        in_channels=in_channels,
        affine_ops=affine_ops,
        resolution=resolution,
    )
