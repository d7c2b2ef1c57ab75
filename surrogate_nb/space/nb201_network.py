"""The NB201 network (``TinyNetwork``) and its parameter and FLOP counts, traced from the module.

Layout (C=16, N=5): stem Conv3x3(in→C, no bias) + BN · N cells @C ·
ResNet block C→2C (stride 2) · N cells @2C · ResNet block 2C→4C · N cells @4C ·
BN · ReLU · global average pool · Linear(4C, classes).
The final BN-ReLU matters: re-implementations that drop it lose 5-6 accuracy points (NASLib#86).

Counting rules (NB201's own counter, ../shared/PROTOCOL.md): parameters are every parameter of the
module, dead branches included, in millions. FLOPs are the multiply-adds of Conv2d and Linear layers
(bias adds included) for one input image, in millions; pooling, BN, ReLU, additions and `none`
contribute nothing. `NB201Space.network` / `NB201Space.costs` call `build` / `costs` here; the
closed forms without torch are `surrogate_nb.space.nb201_costs`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch
from torch import nn

from surrogate_nb.space.nb201_cell import EDGES, Arch


class ReLUConvBN(nn.Sequential):
    """NB201's ``nor_conv``: ReLU → Conv(k, stride, pad k//2, no bias) → BN(affine)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(c_out),
        )


class Zero(nn.Module):
    """NB201's ``none``: the input times zero (it still runs, and still costs a kernel)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0)


#: Cell ops by NB201 name. Inside cells C_in == C_out and stride == 1, so `skip_connect` is the
#: identity and `avg_pool_3x3` needs no 1x1 pre-projection.
OP_FACTORY: dict[str, Callable[[int], nn.Module]] = {
    "none": lambda c: Zero(),
    "skip_connect": lambda c: nn.Identity(),
    "nor_conv_1x1": lambda c: ReLUConvBN(c, c, 1),
    "nor_conv_3x3": lambda c: ReLUConvBN(c, c, 3),
    "avg_pool_3x3": lambda c: nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
}


class InferCell(nn.Module):
    """One NB201 cell: node j = sum over i < j of op_(i,j)(node i); output = node 3."""

    def __init__(self, arch: Arch, channels: int) -> None:
        super().__init__()
        self.arch = arch
        self.edges = nn.ModuleList(OP_FACTORY[op](channels) for op in arch.ops)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for target in (1, 2, 3):
            nodes.append(
                sum(
                    self.edges[e](nodes[src]) for e, (src, dst) in enumerate(EDGES) if dst == target
                )
            )
        return nodes[3]


class ResNetBlock(nn.Module):
    """NB201's reduction block: b(a(x)) + shortcut(x); a has stride 2, shortcut Pool→Conv1x1."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride=2)
        self.conv_b = ReLUConvBN(c_out, c_out, 3)
        self.downsample = nn.Sequential(
            nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
            nn.Conv2d(c_in, c_out, kernel_size=1, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class TinyNetwork(nn.Module):
    """The NB201 macro skeleton around one cell genotype."""

    def __init__(
        self, arch: Arch, num_classes: int, C: int = 16, N: int = 5, in_channels: int = 3
    ) -> None:
        super().__init__()
        self.arch = arch
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, C, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(C)
        )
        layers: list[nn.Module] = []
        c_prev = C
        for stage, c in enumerate((C, 2 * C, 4 * C)):
            if stage > 0:
                layers.append(ResNetBlock(c_prev, c))
            layers.extend(InferCell(arch, c) for _ in range(N))
            c_prev = c
        self.cells = nn.Sequential(*layers)
        self.lastact = nn.Sequential(nn.BatchNorm2d(c_prev), nn.ReLU(inplace=True))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.lastact(self.cells(self.stem(x)))
        return self.classifier(self.global_pooling(x).flatten(1))


def _cost_key(arch: Arch) -> tuple[int, int]:
    """What determines params and FLOPs: the numbers of conv3x3 and conv1x1 edges.

    `none`, `skip_connect` and `avg_pool_3x3` carry no parameters and no Conv/Linear FLOPs, and
    every edge is built whether or not it is live.
    """
    return arch.ops.count("nor_conv_3x3"), arch.ops.count("nor_conv_1x1")


def _representative(key: tuple[int, int]) -> Arch:
    n3, n1 = key
    ops = ["nor_conv_3x3"] * n3 + ["nor_conv_1x1"] * n1
    return Arch.from_ops(ops + ["none"] * (len(EDGES) - len(ops)))


@functools.lru_cache(maxsize=4096)
def _cached_costs(
    key: tuple[int, int], num_classes: int, resolution: int, in_channels: int, C: int, N: int
) -> tuple[float, float]:
    return _measure_costs(_representative(key), num_classes, resolution, in_channels, C, N)


def _measure_costs(
    arch: Arch, num_classes: int, resolution: int, in_channels: int, C: int, N: int
) -> tuple[float, float]:
    """(params M, FLOPs M) of the real module, shapes traced on the meta device (no compute)."""
    with torch.device("meta"):
        net = TinyNetwork(arch, num_classes, C=C, N=N, in_channels=in_channels)
    params = sum(p.numel() for p in net.parameters())
    flops = 0

    def hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        nonlocal flops
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            positions = output.shape[0] * output.shape[2] * output.shape[3]
            per_position = kh * kw * module.in_channels * module.out_channels // module.groups
            flops += per_position * positions
            if module.bias is not None:
                flops += module.out_channels * positions
        elif isinstance(module, nn.Linear):
            flops += inputs[0].shape[0] * module.in_features * module.out_features
            if module.bias is not None:
                flops += inputs[0].shape[0] * module.out_features

    handles = [
        m.register_forward_hook(hook)
        for m in net.modules()
        if isinstance(m, (nn.Conv2d, nn.Linear))
    ]
    try:
        net(torch.empty(1, in_channels, resolution, resolution, device="meta"))
    finally:
        for h in handles:
            h.remove()
    return params / 1e6, flops / 1e6


def build(
    arch: Arch, num_classes: int, C: int = 16, N: int = 5, in_channels: int = 3
) -> TinyNetwork:
    """NB201's TinyNetwork of `arch` (`C` channels in the first stage, `N` cells per stage)."""
    return TinyNetwork(arch, num_classes, C=C, N=N, in_channels=in_channels)


def costs(
    arch: Arch,
    num_classes: int,
    resolution: int = 32,
    in_channels: int = 3,
    C: int = 16,
    N: int = 5,
) -> tuple[float, float]:
    """(params M, FLOPs M) of `build(arch, num_classes, ...)` for one `resolution`² image."""
    return _cached_costs(_cost_key(arch), num_classes, resolution, in_channels, C, N)
