"""Rank statistics, computed one way for the whole package: Kendall τ, Spearman ρ, seed agreement.

Bottom layer (imports only numpy, and scipy on first use), so the build (seed-to-seed agreement
in a table's manifest), the regressors (tuning objective) and the evaluation (surrogate quality,
optimizer rankings) agree on every definition:

* `kendall_tau` is Kendall's τ-b, NaN when fewer than two finite pairs remain or one side is
  constant; `sparse_kendall_tau` rounds both sides first (NB301's version).
* `seed_agreement` is the mean over seed pairs of τ between two seeds' values, each pair over the
  cells both seeds hold. It is recorded in manifests and summaries under `SEED_AGREEMENT_KEY`;
  `recorded_seed_agreement` also reads the older key ``mean_tau``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

#: The one key under which seed-to-seed agreement (mean pairwise Kendall τ) is written.
SEED_AGREEMENT_KEY = "seed_to_seed_kendall_tau"
#: Keys older writers used for the same number; read, never written.
_LEGACY_SEED_AGREEMENT_KEYS: tuple[str, ...] = ("mean_tau",)
#: Fewest shared cells for a seed pair's τ to count.
MIN_SHARED_CELLS = 3


def _pair(a: object, b: object) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(a, dtype=np.float64).reshape(-1)
    y = np.asarray(b, dtype=np.float64).reshape(-1)
    if len(x) != len(y):
        raise ValueError(f"rank statistics need equal lengths, got {len(x)} and {len(y)}")
    ok = np.isfinite(x) & np.isfinite(y)
    return x[ok], y[ok]


def kendall_tau(a: object, b: object) -> float:
    """Kendall τ-b over the pairs where both are finite; NaN below 2 pairs or for constants.

    >>> round(kendall_tau([1, 2, 3], [10, 30, 20]), 3)
    0.333
    """
    from scipy.stats import kendalltau

    x, y = _pair(a, b)
    if len(x) < 2:
        return float("nan")
    return float(kendalltau(x, y).statistic)


def sparse_kendall_tau(a: object, b: object, decimals: int = 1) -> float:
    """Kendall τ-b after rounding both to `decimals` (0.1 points for accuracies in percent)."""
    x, y = _pair(a, b)
    return kendall_tau(np.round(x, decimals), np.round(y, decimals))


def spearman(a: object, b: object) -> float:
    """Spearman ρ over the pairs where both are finite; NaN below 2 pairs or for constants."""
    from scipy.stats import spearmanr

    x, y = _pair(a, b)
    if len(x) < 2:
        return float("nan")
    return float(spearmanr(x, y).statistic)


@dataclass(frozen=True)
class SeedPair:
    """Kendall τ between two seeds' values over the cells both hold."""

    col_a: int
    col_b: int
    seed_a: int
    seed_b: int
    cells: int
    tau: float


@dataclass(frozen=True)
class SeedAgreement:
    """How well one training seed ranks cells like another (the fidelity's noise).

    Attributes:
        pairs: one `SeedPair` per pair of seeds sharing at least `MIN_SHARED_CELLS` cells.
        seed_to_seed_kendall_tau: mean τ over `pairs` (NaN when there are none).
    """

    pairs: list[SeedPair] = field(default_factory=list)
    seed_to_seed_kendall_tau: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"pairs": [...], "seed_to_seed_kendall_tau": τ}``."""
        return {
            "pairs": [asdict(p) for p in self.pairs],
            SEED_AGREEMENT_KEY: self.seed_to_seed_kendall_tau,
        }


def seed_agreement(Y: np.ndarray, seeds: Sequence[int] | None = None) -> SeedAgreement:
    """Kendall τ between every pair of seed columns of `Y`, and their mean.

    Args:
        Y: (n_cells, n_seeds) per-seed values, NaN where a seed lacks the cell.
        seeds: the seed of each column (default: column numbers).

    >>> Y = np.array([[1.0, 1.1], [2.0, 2.2], [3.0, 2.9], [4.0, np.nan]])
    >>> seed_agreement(Y, [777, 888]).seed_to_seed_kendall_tau
    1.0
    """
    Y = np.asarray(Y, dtype=np.float64)
    seeds = list(seeds) if seeds is not None else list(range(Y.shape[1]))
    pairs = []
    for a in range(Y.shape[1]):
        for b in range(a + 1, Y.shape[1]):
            ok = np.isfinite(Y[:, a]) & np.isfinite(Y[:, b])
            if ok.sum() >= MIN_SHARED_CELLS:
                tau = kendall_tau(Y[ok, a], Y[ok, b])
                pairs.append(SeedPair(a, b, int(seeds[a]), int(seeds[b]), int(ok.sum()), tau))
    taus = [p.tau for p in pairs]
    return SeedAgreement(pairs, float(np.mean(taus)) if taus else float("nan"))


def recorded_seed_agreement(manifest: Mapping[str, Any]) -> float | None:
    """The seed-to-seed τ a table's manifest records (its ``fidelity`` entry), or None.

    Reads `SEED_AGREEMENT_KEY`, then the older ``mean_tau``.
    """
    for where in (manifest.get("fidelity"), manifest):
        if isinstance(where, Mapping):
            for key in (SEED_AGREEMENT_KEY, *_LEGACY_SEED_AGREEMENT_KEYS):
                value = where.get(key)
                if isinstance(value, (int, float)):
                    return float(value)
    return None
