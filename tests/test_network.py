"""The NB201 network builder and its parameter / FLOP counters."""

from __future__ import annotations

import itertools
from collections import defaultdict

import numpy as np
import pytest
import torch
from torch import nn

from surrogate_nb.network import build_network, count_flops, count_params
from surrogate_nb.space import NB201, Arch, all_archs
from surrogate_nb.space.nb201_network import _measure_costs

ALL_NONE = Arch.from_ops(["none"] * 6)
ALL_CONV3 = Arch.from_ops(["nor_conv_3x3"] * 6)


def test_forward_shapes_and_final_bn_relu():
    net = build_network(6111, num_classes=10)
    out = net(torch.randn(2, 3, 32, 32))
    assert out.shape == (2, 10)
    assert isinstance(net.lastact[0], nn.BatchNorm2d) and isinstance(net.lastact[1], nn.ReLU)
    assert len(net.cells) == 17  # 5 cells, block, 5 cells, block, 5 cells
    grey = build_network(0, num_classes=10, in_channels=1)
    assert grey(torch.randn(1, 1, 16, 16)).shape == (1, 10)


def test_param_range_from_protocol():
    assert count_params(ALL_NONE, 10) == pytest.approx(0.073306, abs=1e-9)
    assert count_params(ALL_CONV3, 10) == pytest.approx(1.531546, abs=1e-9)


def test_params_equal_the_module_for_random_cells():
    rng = np.random.default_rng(0)
    for _ in range(5):
        a = NB201.sample(rng)
        net = build_network(a, 100)
        assert sum(p.numel() for p in net.parameters()) / 1e6 == pytest.approx(
            count_params(a, 100), abs=1e-12
        )


def test_cost_cache_key_is_sound():
    """The cache keys costs by conv counts; measuring uncached cells must agree."""
    rng = np.random.default_rng(1)
    for _ in range(6):
        a = NB201.sample(rng)
        assert _measure_costs(a, 10, 32, 3, 16, 5) == (count_params(a, 10), count_flops(a, 10))


def test_params_match_reference_for_every_consistent_cell(nb201_frame):
    ok = nb201_frame["params_inconsistent_across_runs"].to_numpy() == 0
    archs = list(all_archs())
    p10 = np.array([count_params(a, 10) for a in archs])
    p100 = np.array([count_params(a, 100) for a in archs])
    assert np.abs(p10 - nb201_frame["cifar10_params_m"].to_numpy())[ok].max() < 1e-6
    assert np.abs(p100 - nb201_frame["cifar100_params_m"].to_numpy())[ok].max() < 1e-6
    assert ok.sum() == 15421


def test_flops_span_and_known_cells():
    flops = np.array([count_flops(a, 10, 32) for a in all_archs()])
    assert flops.min() == pytest.approx(7.78305, abs=1e-5)
    assert flops.max() == pytest.approx(220.11969, abs=1e-5)
    assert count_flops(9930, 10) == pytest.approx(184.73, abs=0.005)
    assert count_flops(6111, 10) == pytest.approx(153.27, abs=0.005)
    assert count_flops(ALL_NONE, 120, 16) == pytest.approx(1.9534, abs=1e-5)
    assert count_flops(ALL_CONV3, 120, 16) == pytest.approx(55.03756, abs=1e-5)


def _tied_cell(arch: Arch, ops: dict[str, nn.Module], x: torch.Tensor) -> torch.Tensor:
    """One cell whose op modules are shared by op type: equal expressions give equal tensors."""
    nodes = [x]
    for target in (1, 2, 3):
        terms = []
        for (src, dst), op in zip(((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3)), arch.ops):
            if dst == target:
                terms.append(ops[op](nodes[src]))
        nodes.append(sum(terms))
    return nodes[3]


def test_isomorphic_cells_compute_the_same_function():
    """Fails if `unique_str` merged cells computing different functions (or split equal ones)."""
    from surrogate_nb.network import OP_FACTORY

    torch.manual_seed(0)
    ops = {name: f(4) for name, f in OP_FACTORY.items()}
    for m in ops.values():
        m.eval()
        for bn in m.modules():
            if isinstance(bn, nn.BatchNorm2d):  # BN(0) = 0 so that an op of zero is zero ('#')
                nn.init.uniform_(bn.weight, 0.5, 1.5)
                bn.running_var.uniform_(0.5, 1.5)
    x = torch.randn(2, 4, 6, 6)
    classes: dict[str, list[Arch]] = defaultdict(list)
    for a in all_archs():
        classes[a.unique_str()].append(a)
    rng = np.random.default_rng(0)
    multi = [v for v in classes.values() if len(v) > 1]
    with torch.no_grad():
        for k in rng.choice(len(multi), size=40, replace=False):
            members = multi[k]
            ref = _tied_cell(members[0], ops, x)
            for other in members[1:4]:
                assert torch.allclose(_tied_cell(other, ops, x), ref, atol=1e-5)
        # different classes without zero terms compute different functions
        clean = [v[0] for key, v in classes.items() if "#" not in key]
        picks = rng.choice(len(clean), size=60, replace=False)
        for i, j in itertools.pairwise(picks):
            a, b = clean[i], clean[j]
            assert not torch.allclose(_tied_cell(a, ops, x), _tied_cell(b, ops, x), atol=1e-5)


# ---- one entry for every space: dispatch through the cell's space -----------------------------


def test_every_space_is_dispatched_through_its_own_hook():
    from surrogate_nb.space import NB101, Cell, space_of
    from surrogate_nb.space.nb101_cost import network_costs
    from surrogate_nb.space.nb101_network import NB101Network

    cell = Cell.from_spec([[0, 1, 1], [0, 0, 1], [0, 0, 0]], ["input", "conv3x3", "output"])
    assert space_of(cell) is NB101 and space_of(ALL_NONE) is NB201 and space_of(6111) is NB201
    params, flops = network_costs(cell, 10)
    assert count_params(cell, 10) == pytest.approx(params / 1e6, abs=0)
    assert count_flops(cell, 10) == pytest.approx(flops / 1e6, abs=0)
    with torch.device("meta"):
        grey = build_network(cell, 7, in_channels=1)
    assert isinstance(grey, NB101Network)
    assert sum(p.numel() for p in grey.parameters()) / 1e6 == pytest.approx(
        count_params(cell, 7, in_channels=1), abs=1e-12
    )
    assert count_params(cell, 7, in_channels=1) < count_params(cell, 7)  # the stem sees 1 channel


def test_a_space_without_a_network_says_so():
    from surrogate_nb.errors import BuildError
    from surrogate_nb.space import SearchSpace

    class Bare(NB201.__class__):
        name = "bare"

    with pytest.raises(BuildError, match="'bare' defines no network"):
        SearchSpace.network(Bare(), ALL_NONE, 10)
    with pytest.raises(BuildError, match="'bare' defines no parameter or FLOP counts"):
        SearchSpace.costs(Bare(), ALL_NONE, 10)
    with pytest.raises(TypeError):  # an option the space does not take
        count_params(ALL_NONE, 10, width=3)
