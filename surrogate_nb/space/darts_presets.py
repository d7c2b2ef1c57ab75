"""Named settings of DARTS' evaluation network (`surrogate_nb.space.darts_network.NetworkCIFAR`).

A preset fixes the macro skeleton and the regulariser the cell is trained with; the cell itself
(a `Genome`) and the dataset (classes, image channels, resolution) come from elsewhere. Add a
preset by adding an entry to `PRESETS` (the name is the key users pass).
"""

from __future__ import annotations

from dataclasses import dataclass

from surrogate_nb.errors import UnknownKeyError


@dataclass(frozen=True)
class DartsNetworkPreset:
    """Init channels, cells, auxiliary head and drop-path probability of a DARTS network.

    Attributes:
        name: the registry key.
        channels: channels of the first cells (``C``; the stem has 3C, reductions double it).
        layers: cells in all (reduction cells at ``layers // 3`` and ``2 * layers // 3``).
        auxiliary: whether the network carries DARTS' auxiliary head after cell
            ``2 * layers // 3`` (used in training only).
        drop_path_prob: drop-path probability during training (DARTS' trainer scales it by
            epoch / epochs; the network holds whatever the trainer sets).
    """

    name: str
    channels: int
    layers: int
    auxiliary: bool
    drop_path_prob: float


#: The registered presets: NB301's training settings and the DARTS paper's CIFAR-10 evaluation.
PRESETS: dict[str, DartsNetworkPreset] = {
    p.name: p
    for p in (
        DartsNetworkPreset("nb301", channels=32, layers=8, auxiliary=True, drop_path_prob=0.2),
        DartsNetworkPreset("darts", channels=36, layers=20, auxiliary=True, drop_path_prob=0.2),
    )
}


def get_preset(preset: str | DartsNetworkPreset) -> DartsNetworkPreset:
    """The preset called `preset` (a preset value passes through)."""
    if isinstance(preset, DartsNetworkPreset):
        return preset
    try:
        return PRESETS[preset]
    except (KeyError, TypeError):
        raise UnknownKeyError("DARTS network preset", preset, sorted(PRESETS)) from None
