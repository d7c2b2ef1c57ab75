"""The NB-101 network: layout, closed-form params/FLOPs against the module, features."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from surrogate_nb.network import build_network
from surrogate_nb.space import NB101, Cell
from surrogate_nb.space.nb101 import OPS
from surrogate_nb.space.nb101_cost import count_flops, count_params, vertex_channels

pytestmark = pytest.mark.xdist_group("nb101")

C3, C1, MP = OPS


def _macs(net: torch.nn.Module, resolution: int) -> int:
    total = 0

    def hook(m, _inputs, out):
        nonlocal total
        if isinstance(m, torch.nn.Conv2d):
            k = m.kernel_size[0] * m.kernel_size[1]
            total += out[0].numel() * m.in_channels * k
        elif isinstance(m, torch.nn.Linear):
            total += m.in_features * m.out_features + m.out_features

    handles = [m.register_forward_hook(hook) for m in net.modules()]
    with torch.no_grad():
        net.eval()(torch.zeros(1, 3, resolution, resolution))
    for h in handles:
        h.remove()
    return total


def test_vertex_channels_follow_the_official_split():
    # three vertices feed the output: 128 = 43 + 43 + 42; vertex 1 feeds vertex 2 only
    m = [
        [0, 1, 0, 1, 1, 0],
        [0, 0, 1, 0, 0, 0],
        [0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0],
    ]
    assert vertex_channels(64, 128, m) == [64, 43, 43, 43, 42, 128]


def test_hand_computed_params_of_a_chain():
    # input -> conv3x3 -> output: per cell a 1x1 projection c_in->c and a 3x3 conv c->c (+BN)
    cell = Cell.from_spec([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", C3, "output"])
    stem = 27 * 128 + 256
    cells = 0
    for c_in, c in (
        [(128, 128)] * 3 + [(128, 256)] + [(256, 256)] * 2 + [(256, 512)] + [(512, 512)] * 2
    ):
        cells += (c_in * c + 2 * c) + (9 * c * c + 2 * c)
    assert count_params(cell) == stem + cells + 512 * 10 + 10


def test_module_matches_closed_form_params_and_flops():
    rng = np.random.default_rng(0)
    for _ in range(4):
        cell = NB101.sample(rng)
        net = build_network(cell, num_classes=10)
        assert sum(p.numel() for p in net.parameters()) == count_params(cell)
        assert _macs(net, 8) == pytest.approx(count_flops(cell, resolution=8) * 1e6, abs=0.5)


def test_forward_shapes_and_input_projection():
    # input -> output directly plus one conv: concatenation + added projection of the input
    cell = Cell.from_spec([[0, 1, 1], [0, 0, 1], [0, 0, 0]], ["input", C1, "output"])
    net = build_network(cell, num_classes=7)
    out = net(torch.randn(2, 3, 8, 8))
    assert out.shape == (2, 7) and torch.isfinite(out).all()
    first = net.features[1]
    assert set(first.proj) == {"1", "2"}  # projections to vertex 1 and to the output


def test_features_are_finite_and_carry_params():
    from surrogate_nb.space.nb101_encodings import feature_names, featurize

    idx = np.array([0, 5, 423_623])
    X = featurize(idx, "full")
    assert X.shape == (3, len(feature_names("full"))) and np.isfinite(X).all()
    params = X[:, feature_names("full").index("params_m")]
    expect = [count_params(NB101.from_index(int(i))) / 1e6 for i in idx]
    np.testing.assert_allclose(params, expect, rtol=1e-6)
    # the path counts of the first published cell: 4 input->output paths
    assert X[0, feature_names("full").index("n_paths")] == 4
