"""The exhaustive pipeline: datasets, the NB201 reference trainer, the fused fast engine, the
resumable build (SQLite ledger) and its Ray backend.

Front door: `run_build(BuildPlan(...))` (what `snb build` calls). Pieces: `load_setting`,
`TrainConfig`, `train_trial` (reference), `train_group` (engine), `Ledger`.
"""

from surrogate_nb.exhaustive.build import (
    CELLS_SEED,
    BuildPlan,
    BuildResult,
    LocalBackend,
    Progress,
    parse_shard,
    plan_cells,
    resolve_cells,
    run_build,
    train_unit,
    unique_mapping,
)
from surrogate_nb.exhaustive.config import SEEDS, TrainConfig
from surrogate_nb.exhaustive.datasets import (
    SETTINGS,
    SPLIT_SEED,
    PreparedData,
    SettingSpec,
    export_npz,
    load_setting,
    load_source,
)
from surrogate_nb.exhaustive.engine import EngineOptions, FusedTinyNetwork, train_group
from surrogate_nb.exhaustive.ledger import Ledger
from surrogate_nb.exhaustive.trainer import train_trial

__all__ = [
    "CELLS_SEED",
    "SEEDS",
    "SETTINGS",
    "SPLIT_SEED",
    "BuildPlan",
    "BuildResult",
    "EngineOptions",
    "FusedTinyNetwork",
    "Ledger",
    "LocalBackend",
    "PreparedData",
    "Progress",
    "SettingSpec",
    "TrainConfig",
    "export_npz",
    "load_setting",
    "load_source",
    "parse_shard",
    "plan_cells",
    "resolve_cells",
    "run_build",
    "train_group",
    "train_trial",
    "train_unit",
    "unique_mapping",
]
