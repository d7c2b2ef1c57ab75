"""DARTS' NetworkCIFAR in torch against quark0/darts' code; the closed-form counts against it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from surrogate_nb.errors import InvalidValueError, UnknownKeyError
from surrogate_nb.network import build_network, count_flops, count_params
from surrogate_nb.space import DARTS, Genome
from surrogate_nb.space.costs import counters
from surrogate_nb.space.darts_cost import (
    PUBLISHED_CHANNELS,
    PUBLISHED_LAYERS,
    check_layout,
    network_costs,
    reduction_cells,
)
from surrogate_nb.space.darts_network import (
    AuxiliaryHeadCIFAR,
    Cell,
    FactorizedReduce,
    NetworkCIFAR,
    build_darts_network,
    drop_path,
)
from surrogate_nb.space.darts_presets import PRESETS, DartsNetworkPreset, get_preset
from tests.space.test_darts import DARTS_V2

V2 = DARTS.from_str(DARTS_V2)


def _torch_costs(net: nn.Module, resolution: int, in_channels: int = 3) -> tuple[int, int]:
    """(parameters, Conv2d + Linear multiply-adds incl. bias adds per image) by forward hooks (a
    batch of 2: BN in training refuses one value per channel; CPU: faster than the meta device,
    whose BN decomposes into Python)."""
    flops = 0

    def hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        nonlocal flops
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            positions = output.shape[2] * output.shape[3]
            flops += kh * kw * module.in_channels * module.out_channels // module.groups * positions
            flops += (module.out_channels * positions) if module.bias is not None else 0
        elif isinstance(module, nn.Linear):
            flops += module.in_features * module.out_features
            flops += module.out_features if module.bias is not None else 0

    handles = [
        m.register_forward_hook(hook)
        for m in net.modules()
        if isinstance(m, (nn.Conv2d, nn.Linear))
    ]
    try:
        with torch.no_grad():
            net(torch.randn(2, in_channels, resolution, resolution))
    finally:
        for h in handles:
            h.remove()
    return sum(p.numel() for p in net.parameters()), flops


def test_darts_v2_at_36x20_is_the_official_count():
    """DARTS' count_parameters_in_MB (every parameter whose name lacks "auxiliary") of
    NetworkCIFAR(36, 10, 20, auxiliary=True, DARTS_V2): 3,349,342 (the paper's 3.3 M)."""
    assert network_costs(V2, 10, channels=36, layers=20, affine_ops=True) == (3349342, 528359050)
    with torch.device("meta"):
        net = NetworkCIFAR(V2, 10, C=36, layers=20, auxiliary=True)
    official = sum(p.numel() for n, p in net.named_parameters() if "auxiliary" not in n)
    assert official == 3349342
    with_aux = network_costs(V2, 10, channels=36, layers=20, affine_ops=True, auxiliary=True)
    assert sum(p.numel() for p in net.parameters()) == with_aux[0]


def test_nb301_preset_counts_of_darts_v2():
    """The published-table convention (default) and DARTS' own network at NB301's 32 × 8."""
    assert network_costs(V2) == (909866, 159765514)
    assert network_costs(V2, affine_ops=True) == (919722, 159765514)
    assert count_params(V2, 10) == pytest.approx(0.909866, abs=1e-12)
    assert count_flops(V2, 10) == pytest.approx(159.765514, abs=1e-9)
    assert counters("darts", V2, "cifar10") == {
        "params_m": pytest.approx(0.909866, abs=1e-12),
        "flops_m": pytest.approx(159.765514, abs=1e-9),
    }
    assert counters("darts", DARTS_V2, "cifar10") == counters("darts", V2, "cifar10")
    assert counters("darts", V2, "cifar100") == {}


SETTINGS = [  # (channels, layers, resolution, classes, in_channels)
    (4, 1, 8, 10, 3),
    (4, 2, 4, 10, 1),
    (6, 3, 16, 100, 3),
    (8, 5, 32, 10, 3),
    (2, 7, 64, 10, 3),
    (2, 8, 16, 10, 1),
]


@pytest.mark.parametrize("setting", SETTINGS)
def test_closed_form_equals_the_module(setting):
    """Params and FLOPs of 16 random genomes per setting (96 in all), both BN conventions, with
    and without the auxiliary head (its FLOPs counted in a training pass)."""
    channels, layers, res, classes, cin = setting
    rng = np.random.default_rng(channels * 100 + layers)
    for k in range(16):
        g = DARTS.sample(rng)
        affine, aux = bool(k % 2), bool(k // 2 % 2)
        net = NetworkCIFAR(g, classes, channels, layers, aux, 0.0, cin, affine, res).train(aux)
        expected = network_costs(
            g,
            classes,
            channels=channels,
            layers=layers,
            resolution=res,
            auxiliary=aux,
            affine_ops=affine,
            in_channels=cin,
        )
        assert _torch_costs(net, res, cin) == expected, (g, affine, aux)


def test_cell_wiring_follows_the_genome():
    """Reduction cells at layers//3 and 2·layers//3; stride 2 on the inputs of reduction cells
    only; skip_connect is the identity at stride 1 and FactorizedReduce at stride 2; pools carry
    no BN; preprocess0 is FactorizedReduce after a reduction."""
    assert reduction_cells(8) == (2, 5) and reduction_cells(20) == (6, 13)
    assert reduction_cells(1) == (0,) and reduction_cells(2) == (0, 1)
    net = NetworkCIFAR(V2, 10, C=4, layers=8, auxiliary=False)
    assert [c.reduction for c in net.cells] == [i in (2, 5) for i in range(8)]
    reduce_cell, after = net.cells[2], net.cells[3]
    assert isinstance(after.preprocess0, FactorizedReduce)
    assert not isinstance(net.cells[2].preprocess0, FactorizedReduce)
    ops = {(inp, op): m for (inp, op), m in zip(V2.reduce, reduce_cell._ops, strict=True)}
    assert isinstance(ops[(0, 0)], nn.MaxPool2d) and ops[(0, 0)].stride == 2
    assert isinstance(ops[(2, 2)], nn.Identity)  # skip from node 2: stride 1
    normal_ops = list(net.cells[0]._ops)
    assert isinstance(normal_ops[4], nn.Identity)  # (skip, 0) in a normal cell
    sep = normal_ops[0]  # sep_conv_3x3: two ReLU-dw-pw-BN stacks
    assert [type(m).__name__ for m in sep] == ["ReLU", "Conv2d", "Conv2d", "BatchNorm2d"] * 2
    assert sep[1].groups == 4 and sep[1].kernel_size == (3, 3) and sep[2].kernel_size == (1, 1)
    dil = normal_ops[7]  # dil_conv_3x3: dilation 2, padding 2
    assert dil[1].dilation == (2, 2) and dil[1].padding == (2, 2)
    assert net.cells[0].multiplier == 4 and net.classifier.in_features == 4 * 16
    assert net.stem[0].out_channels == 12


def test_forward_contract_and_training_step():
    """Logits in eval mode; (logits, aux) in training with the head; drop path settable; small
    images (16x16, where DARTS' 5x5/3 aux pool cannot run, and 8x8) train."""
    torch.manual_seed(0)
    net = build_darts_network(V2, 10, channels=4, layers=5)
    assert net.drop_path_prob == pytest.approx(0.2) and net._auxiliary
    x = torch.randn(3, 3, 16, 16)
    logits, aux = net(x)
    assert logits.shape == aux.shape == (3, 10)
    (F.cross_entropy(logits, torch.zeros(3, dtype=torch.long)) + 0.4 * aux.sum()).backward()
    assert all(p.grad is not None for p in net.parameters())
    net.eval()
    out = net(x)
    assert isinstance(out, torch.Tensor) and out.shape == (3, 10)
    net.drop_path_prob = 0.0
    assert torch.equal(net(x), out)  # drop path acts in training only
    small = build_darts_network(V2, 7, channels=4, layers=3, auxiliary=False, in_channels=1)
    assert small(torch.randn(2, 1, 8, 8)).shape == (2, 7)  # training mode, no head: logits


def test_drop_path_is_per_sample_and_skips_the_identity():
    torch.manual_seed(1)
    y = drop_path(torch.ones(400, 2, 3, 3), 0.25)
    per_sample = y.flatten(1)
    assert torch.all((per_sample == 0).all(1) | (per_sample == 1 / 0.75).all(1))
    assert 0.15 < (per_sample[:, 0] == 0).float().mean() < 0.35
    skips = Genome.of([(0, 2), (1, 2)] * 4, [(0, 2), (1, 2)] * 4).normal
    cell = Cell(skips, 4, 4, 4, reduction=False, reduction_prev=False).train()
    s0, s1 = torch.randn(8, 4, 4, 4), torch.randn(8, 4, 4, 4)
    assert torch.equal(cell(s0, s1, 0.9), cell(s0, s1, 0.0))  # identities are never dropped
    pools = Genome.of([(0, 0), (1, 0)] * 4, [(0, 0), (1, 0)] * 4).normal
    cell = Cell(pools, 4, 4, 4, reduction=False, reduction_prev=False).train()
    assert not torch.equal(cell(s0, s1, 0.9), cell(s0, s1, 0.0))


def test_aux_head_pools_as_darts_on_8x8_maps():
    """On DARTS' 8x8 map the head pools 5x5 stride 3 (DARTS' layer); elsewhere adaptively."""
    head = AuxiliaryHeadCIFAR(6, 10).eval()
    x = torch.randn(2, 6, 8, 8)
    pool = head.features[1]
    assert torch.equal(pool(x), F.avg_pool2d(x, 5, stride=3, padding=0, count_include_pad=False))
    assert pool(torch.randn(2, 6, 4, 4)).shape == (2, 6, 2, 2)
    assert pool(torch.randn(2, 6, 16, 16)).shape == (2, 6, 2, 2)
    assert head(torch.randn(2, 6, 1, 1)).shape == (2, 10)


def test_bad_layouts_are_refused_with_one_line():
    with pytest.raises(InvalidValueError, match=r"divisible by 4.*got 30; e\.g\. 28 or 32"):
        NetworkCIFAR(V2, 10, C=4, layers=8, auxiliary=True, resolution=30)
    with pytest.raises(InvalidValueError, match="divisible by 4"):
        network_costs(V2, resolution=2)
    net = NetworkCIFAR(V2, 10, C=4, layers=3, auxiliary=False)
    with pytest.raises(InvalidValueError, match="got 18"):
        net(torch.randn(1, 3, 18, 18))
    with pytest.raises(InvalidValueError, match="layers must be a positive int, got 0"):
        check_layout(4, 0)
    check_layout(4, 1, 2)  # one reduction: even sides suffice
    with pytest.raises(UnknownKeyError, match="DARTS network preset 'nb201'"):
        build_darts_network(V2, 10, "nb201")


def test_presets_and_build_network():
    assert PRESETS["nb301"] == DartsNetworkPreset("nb301", 32, 8, True, 0.2)
    assert PRESETS["darts"] == DartsNetworkPreset("darts", 36, 20, True, 0.2)
    assert (
        (PUBLISHED_CHANNELS, PUBLISHED_LAYERS)
        == (32, 8)
        == (
            PRESETS["nb301"].channels,
            PRESETS["nb301"].layers,
        )
    )
    assert get_preset(PRESETS["darts"]) is PRESETS["darts"]
    net = build_network(V2, 10, C=4, N=3)
    assert isinstance(net, NetworkCIFAR) and len(net.cells) == 3 and net._auxiliary
    assert net.stem[0].out_channels == 12
    with torch.device("meta"):
        default = build_network(V2, 10)
    assert len(default.cells) == 8 and default.stem[0].out_channels == 96
    params = sum(p.numel() for n, p in default.named_parameters() if "auxiliary" not in n)
    assert params == network_costs(V2, affine_ops=True)[0]
    assert count_params(V2, 10, C=4, N=3) * 1e6 == pytest.approx(
        network_costs(V2, channels=4, layers=3)[0], abs=1e-6
    )
    assert count_flops(V2, 10, resolution=16, C=4, N=3) * 1e6 == pytest.approx(
        network_costs(V2, channels=4, layers=3, resolution=16)[1], abs=1e-6
    )
