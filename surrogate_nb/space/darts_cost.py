"""Parameters and FLOPs of DARTS' ``NetworkCIFAR`` for a DARTS cell, in closed form (no torch).

The layout (quark0/darts ``cnn/model.py``, ``cnn/operations.py``; our torch module is
`surrogate_nb.space.darts_network.NetworkCIFAR` and these counts equal its, tested there):

* stem: Conv3x3(in -> 3C, no bias) + BN(3C);
* ``layers`` cells; cells ``layers // 3`` and ``2 * layers // 3`` are reduction cells, which
  double the channels and halve the resolution; a cell at c channels first maps its inputs to c
  channels: ``preprocess0`` is FactorizedReduce (two 1x1 stride-2 convs of c/2 channels, BN(c))
  when the previous cell reduced, else ReLU-Conv1x1-BN; ``preprocess1`` is ReLU-Conv1x1-BN; its
  output concatenates its 4 nodes (4c channels);
* the ops, at c channels, stride 2 on the cell inputs (0, 1) of a reduction cell:
  ``sep_conv_k`` = 2 × (ReLU, depthwise k×k, pointwise 1x1, BN), ``dil_conv_k`` = ReLU, depthwise
  k×k dilation 2, pointwise 1x1, BN; ``skip_connect`` = identity (stride 1) or FactorizedReduce(c,
  c) (stride 2); the pools carry nothing (no BN in the evaluation network);
* global average pooling, Linear(4c -> classes);
* optionally DARTS' auxiliary head on the output of cell ``2 * layers // 3``: ReLU, AvgPool to
  2x2, Conv1x1(c_aux -> 128) + BN, ReLU, Conv2x2(128 -> 768) + BN, ReLU, Linear(768 -> classes).

Conventions. Parameters count every weight (a BN with affine parameters: 2 per channel, without:
0). FLOPs are the multiply-adds of the convolutions and linear layers (their bias adds included)
for one image, as for NB201 (`surrogate_nb.space.nb201_costs`); with ``auxiliary`` they include
the head's (one training pass). The default is the count the published per-cell tables of the
DARTS space use (NASLib / NAS-Bench-Suite-Zero): NB301's 32 channels × 8 cells at 32x32, no
auxiliary head, and non-affine BN inside the cell ops (stem, preprocessing, classifier and
auxiliary head keep theirs). ``affine_ops=True`` gives DARTS' own evaluation network (affine BN
everywhere); DARTS' ``count_parameters_in_MB`` is that count with ``auxiliary=False``.
"""

from __future__ import annotations

from surrogate_nb.errors import InvalidValueError
from surrogate_nb.space.darts import OPS, Genome

#: The published tables' network (NASLib / NAS-Bench-Suite-Zero): NB301's 32 channels × 8 cells,
#: counted without the auxiliary head and with non-affine BN in the cell ops.
PUBLISHED_CHANNELS, PUBLISHED_LAYERS = 32, 8
#: Channels of DARTS' auxiliary head.
AUX_MID, AUX_OUT = 128, 768
STEM_MULTIPLIER = 3


def reduction_cells(layers: int) -> tuple[int, ...]:
    """Indices of the reduction cells of a ``layers``-cell network (one when they coincide)."""
    return tuple(sorted({layers // 3, 2 * layers // 3}))


def check_layout(channels: int, layers: int, resolution: int | None = None) -> None:
    """Refuse a network DARTS' code cannot build or run, with one line saying what would work.

    ``channels`` and ``layers`` must be positive; ``resolution`` (the image side) must be a
    positive multiple of 2^(reduction cells): FactorizedReduce concatenates ``x[::2]`` with
    ``x[1::2]``, which only agree in size on even maps.
    """
    for name, value in (("channels", channels), ("layers", layers)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidValueError(f"DARTS network {name} must be a positive int, got {value!r}")
    if resolution is None:
        return
    step = 2 ** len(reduction_cells(layers))
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 1:
        raise InvalidValueError(
            f"DARTS image resolution must be a positive int, got {resolution!r}"
        )
    if resolution % step:
        raise InvalidValueError(
            f"DARTS network with {layers} cells needs an image side divisible by {step} (it "
            f"halves the resolution {len(reduction_cells(layers))} times with FactorizedReduce), "
            f"got {resolution}; e.g. {max(step, resolution - resolution % step)} or "
            f"{resolution - resolution % step + step}"
        )


def _bn(channels: int, affine: bool) -> int:
    return 2 * channels if affine else 0


def _op_costs(op: str, c: int, stride: int, out_hw: int, affine: bool) -> tuple[int, int]:
    """(params, FLOPs) of one cell op at c channels whose output is ``out_hw``²."""
    pos = out_hw * out_hw
    if op.startswith("sep_conv_"):
        k = int(op[-1])
        per = k * k * c + c * c
        return 2 * (per + _bn(c, affine)), 2 * per * pos
    if op.startswith("dil_conv_"):
        k = int(op[-1])
        per = k * k * c + c * c
        return per + _bn(c, affine), per * pos
    if op == "skip_connect" and stride == 2:  # FactorizedReduce(c, c)
        return c * c + _bn(c, affine), c * c * pos
    return 0, 0  # pools, identity


def _cell_costs(
    cell: tuple[tuple[int, int], ...],
    c_pp: int,
    c_p: int,
    c: int,
    hw: int,
    reduction: bool,
    affine_ops: bool,
) -> tuple[int, int]:
    """(params, FLOPs) of one cell whose input ``s1`` is ``hw``² (``s0`` 2hw² after a reduction).

    Both forms of ``preprocess0`` (FactorizedReduce after a reduction: two c/2-channel 1x1 convs
    at stride 2; else a 1x1 conv) cost the same: ``c_pp · c`` weights + BN(c).
    """
    params = c_pp * c + 2 * c + c_p * c + 2 * c
    flops = (c_pp * c + c_p * c) * hw * hw
    out_hw = hw // 2 if reduction else hw
    for inp, op in cell:
        stride = 2 if reduction and inp < 2 else 1
        p, f = _op_costs(OPS[op], c, stride, out_hw, affine_ops)
        params, flops = params + p, flops + f
    return params, flops


def aux_head_costs(c_aux: int, num_classes: int) -> tuple[int, int]:
    """(params, FLOPs) of DARTS' auxiliary head on a ``c_aux``-channel map (pooled to 2x2)."""
    params = c_aux * AUX_MID + 2 * AUX_MID + AUX_MID * AUX_OUT * 4 + 2 * AUX_OUT
    params += AUX_OUT * num_classes + num_classes
    flops = c_aux * AUX_MID * 4 + AUX_MID * AUX_OUT * 4 + AUX_OUT * num_classes + num_classes
    return params, flops


def network_costs(
    genome: Genome,
    num_classes: int = 10,
    *,
    channels: int = PUBLISHED_CHANNELS,
    layers: int = PUBLISHED_LAYERS,
    resolution: int = 32,
    auxiliary: bool = False,
    affine_ops: bool = False,
    in_channels: int = 3,
) -> tuple[int, int]:
    """(parameters, multiply-adds for one ``resolution``² image) of ``NetworkCIFAR(genome)``.

    The defaults give the published per-cell tables' count (module docstring);
    ``affine_ops=True`` gives DARTS' own evaluation network.

    Raises:
        InvalidValueError: a layout `check_layout` refuses.
    """
    check_layout(channels, layers, resolution)
    reductions = reduction_cells(layers)
    c_stem = STEM_MULTIPLIER * channels
    params = 9 * in_channels * c_stem + 2 * c_stem
    flops = 9 * in_channels * c_stem * resolution * resolution
    c_pp, c_p, c, hw = c_stem, c_stem, channels, resolution
    c_aux = 0
    for i in range(layers):
        reduction = i in reductions
        if reduction:
            c *= 2
        cell = genome.reduce if reduction else genome.normal
        p, f = _cell_costs(cell, c_pp, c_p, c, hw, reduction, affine_ops)
        params, flops = params + p, flops + f
        if reduction:
            hw //= 2
        c_pp, c_p = c_p, 4 * c
        if i == 2 * layers // 3:
            c_aux = c_p
    params += c_p * num_classes + num_classes
    flops += c_p * num_classes + num_classes
    if auxiliary:
        p, f = aux_head_costs(c_aux, num_classes)
        params, flops = params + p, flops + f
    return params, flops
