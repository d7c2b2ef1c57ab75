"""The supernet computes exactly what `build_network` of a cell computes, given one-hot weights."""

import pytest
import torch
import torch.nn.functional as F

from surrogate_nb.network import build_network
from surrogate_nb.space import NUM_EDGES, NUM_OPS, Arch
from surrogate_nb.supernet import build_supernet

CELLS = [6111, 0, 15624, Arch.from_ops(["none"] * 6).index, Arch.from_ops(["skip_connect"] * 6)]


def _one_hot(arch: Arch) -> torch.Tensor:
    w = torch.zeros(NUM_EDGES, NUM_OPS)
    w[torch.arange(NUM_EDGES), torch.tensor(arch.op_ids)] = 1.0
    return w


def _randomise(net: torch.nn.Module, seed: int) -> None:
    """Non-trivial weights everywhere, BN affine and running statistics included."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in net.state_dict().items():
            if t.dtype.is_floating_point:
                v = torch.randn(t.shape, generator=g) * 0.3
                t.copy_(v.abs() + 0.5 if name.endswith("running_var") else v)


def test_one_hot_supernet_equals_build_network_full_size():
    """NB201 size (C=16, N=5), train and eval mode, four cells: bit-for-bit equal logits."""
    torch.manual_seed(0)
    net = build_supernet(10, in_channels=1, affine=True, track_running_stats=True)
    _randomise(net, 1)
    x = torch.randn(4, 1, 8, 8)
    for cell in CELLS[:3]:
        arch = Arch.from_index(cell) if isinstance(cell, int) else cell
        tiny = build_network(arch, 10, in_channels=1)
        tiny.load_state_dict(net.derive_state_dict(arch))
        for train in (False, True):  # eval first: train mode moves running statistics
            net.train(train)
            tiny.train(train)
            with torch.no_grad():
                ref = tiny(x)
                assert torch.equal(net(x, _one_hot(arch)), ref)
                assert torch.equal(net(x, arch=arch), ref)


@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("track", [False, True])
def test_one_hot_equivalence_for_every_bn_variant(affine, track):
    """Each BN variant: train mode always equal; eval mode equal where statistics are tracked."""
    torch.manual_seed(1)
    net = build_supernet(5, C=4, N=1, in_channels=3, affine=affine, track_running_stats=track)
    _randomise(net, 2)
    x = torch.randn(6, 3, 8, 8)
    for cell in CELLS:
        arch = Arch.from_index(cell) if isinstance(cell, int) else cell
        tiny = build_network(arch, 5, C=4, N=1)
        tiny.load_state_dict(net.derive_state_dict(arch))
        modes = (False, True) if track else (True,)
        for train in modes:
            net.train(train)
            tiny.train(train)
            with torch.no_grad():
                torch.testing.assert_close(net(x, _one_hot(arch)), tiny(x), rtol=0, atol=1e-6)


def test_mixture_is_linear_in_the_op_weights():
    """A 50/50 mixture on the last edge gives the mean of the two single-op cells."""
    net = build_supernet(3, C=4, N=1, in_channels=1, track_running_stats=True)
    net.eval()
    x = torch.randn(2, 1, 8, 8)
    a = Arch.from_ops(["skip_connect"] * 5 + ["nor_conv_3x3"])
    b = Arch.from_ops(["skip_connect"] * 5 + ["avg_pool_3x3"])
    w = (_one_hot(a) + _one_hot(b)) / 2
    w[:5] = _one_hot(a)[:5]
    with torch.no_grad():
        h_mix = net.cells[0](net.stem(x), w)
        h_a = net.cells[0](net.stem(x), arch=a.op_ids)
        h_b = net.cells[0](net.stem(x), arch=b.op_ids)
    # node 3 = skip(n0) + skip(n1) + edge5(n2); only edge 5 differs between a and b
    torch.testing.assert_close(h_mix, (h_a + h_b) / 2, rtol=1e-5, atol=1e-6)


def test_gdas_path_runs_one_op_and_passes_gradient_to_every_logit():
    net = build_supernet(4, C=4, N=1, in_channels=1)
    arch = Arch.from_index(6111)
    logits = torch.zeros(NUM_EDGES, NUM_OPS, requires_grad=True)
    probs = F.softmax(logits, dim=-1)
    index = list(arch.op_ids)
    hard = _one_hot(arch) - probs.detach() + probs
    x = torch.randn(3, 1, 8, 8)
    out = net(x, hard, index=index)
    with torch.no_grad():
        torch.testing.assert_close(out, net(x, arch=arch), rtol=1e-5, atol=1e-6)
    out.sum().backward()
    assert logits.grad is not None and (logits.grad != 0).sum() > NUM_EDGES


def test_per_cell_paths_and_bad_calls():
    net = build_supernet(4, C=4, N=1, in_channels=1)
    x = torch.randn(2, 1, 8, 8)
    same = [Arch.from_index(5).op_ids] * net.num_search_cells
    with torch.no_grad():
        assert torch.equal(net(x, arch=same), net(x, arch=Arch.from_index(5)))
    with pytest.raises(ValueError, match="exactly one"):
        net(x)
    with pytest.raises(ValueError, match="exactly one"):
        net(x, torch.ones(6, 5), arch=5)
