"""The official NB-101 network as a torch module (layout in `surrogate_nb.space.nb101_cost`).

Differences from the TensorFlow original that do not change the function or the parameter count:
PyTorch's BN momentum is ``1 - 0.997`` and epsilon 1e-5 as in the original; weights use PyTorch's
default initialisation (the original used variance scaling).
"""

from __future__ import annotations

import torch
from torch import nn

from surrogate_nb.space.nb101_cell import Cell
from surrogate_nb.space.nb101_cost import (
    CELLS_PER_STACK,
    NUM_STACKS,
    STEM_CHANNELS,
    vertex_channels,
)
from surrogate_nb.space.nb101_index import OPS

BN_MOMENTUM = 1 - 0.997
BN_EPS = 1e-5


class ConvBNReLU(nn.Sequential):
    """Conv (no bias, 'same' padding) -> BN -> ReLU, the official ``conv_bn_relu``."""

    def __init__(self, c_in: int, c_out: int, kernel: int) -> None:
        super().__init__(
            nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(c_out, eps=BN_EPS, momentum=BN_MOMENTUM),
            nn.ReLU(inplace=False),
        )


def _op(name: str, channels: int) -> nn.Module:
    if name == OPS[0]:
        return ConvBNReLU(channels, channels, 3)
    if name == OPS[1]:
        return ConvBNReLU(channels, channels, 1)
    return nn.MaxPool2d(3, stride=1, padding=1)


class NB101Cell(nn.Module):
    """One cell (official ``build_module``) from ``c_in`` to ``c_out`` channels."""

    def __init__(self, cell: Cell, c_in: int, c_out: int) -> None:
        super().__init__()
        self.matrix = cell.matrix
        n = cell.num_vertices
        self.n = n
        self.channels = vertex_channels(c_in, c_out, cell.matrix)
        self.proj = nn.ModuleDict()
        self.ops = nn.ModuleDict()
        for t in range(1, n - 1):
            if self.matrix[0][t]:
                self.proj[str(t)] = ConvBNReLU(c_in, self.channels[t], 1)
            self.ops[str(t)] = _op(cell.ops[t], self.channels[t])
        if self.matrix[0][n - 1]:
            self.proj[str(n - 1)] = ConvBNReLU(c_in, c_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, m, ch = self.n, self.matrix, self.channels
        tensors = [x]
        concat = []
        for t in range(1, n - 1):
            inputs = [tensors[s][:, : ch[t]] for s in range(1, t) if m[s][t]]
            if m[0][t]:
                inputs.append(self.proj[str(t)](x))
            h = inputs[0] if len(inputs) == 1 else torch.stack(inputs).sum(0)
            tensors.append(self.ops[str(t)](h))
            if m[t][n - 1]:
                concat.append(tensors[t])
        if not concat:
            return self.proj[str(n - 1)](x)
        out = concat[0] if len(concat) == 1 else torch.cat(concat, dim=1)
        if m[0][n - 1]:
            out = out + self.proj[str(n - 1)](x)
        return out


class NB101Network(nn.Module):
    """Stem, 3 stacks x 3 cells with max-pool downsampling, global pool, classifier."""

    def __init__(self, cell: Cell, num_classes: int = 10, in_channels: int = 3) -> None:
        super().__init__()
        layers: list[nn.Module] = [ConvBNReLU(in_channels, STEM_CHANNELS, 3)]
        c_prev = STEM_CHANNELS
        for stack in range(NUM_STACKS):
            c = STEM_CHANNELS * 2**stack
            if stack > 0:
                layers.append(nn.MaxPool2d(2, stride=2, ceil_mode=True))
            for _ in range(CELLS_PER_STACK):
                layers.append(NB101Cell(cell, c_prev, c))
                c_prev = c
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).mean(dim=(2, 3)))


def build_network(cell: Cell, num_classes: int = 10, in_channels: int = 3) -> NB101Network:
    """The NB-101 network of ``cell``."""
    return NB101Network(cell, num_classes, in_channels)
