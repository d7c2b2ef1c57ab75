"""NAS-Bench-301's own result files → a table of the DARTS space (``space="darts"``).

**Input.** NB301's data set is one JSON per trained architecture (``results_<n>.json``), grouped in
one folder per optimizer that proposed it (``rs/``, ``re/``, ``tpe/``, ``de/``, ``bananas/``,
``combo/``, ``darts/``, ``pc_darts/``, ``drnas/``, ``gdas/``, ``random_ws/``: the
``filepath_regex`` of NB301's data configs). `import_nb301` reads a folder of them (recursively)
or a ``.zip``; files are read one at a time (a zip member is never inflated beyond
`MAX_RESULT_BYTES`), never all at once.

A result (schema of NB301's ``surrogate_models/test/results_fidelity_0/results_0.json``; the
fields read are `RESULT_FIELDS` / `INFO_FIELDS`)::

    {"optimized_hyperparamater_config": {"NetworkSelectorDatasetInfo:darts:edge_normal_0": ...,
         ..., training settings (batch size, lr, T_max, init_channels, layers, ...)},
     "budget": 100,                                   # epochs (= cosine T_max)
     "info": [{"val_accuracy": ..., "train_accuracy": ..., "train_loss": ...,
               "train_cross_entropy": ..., "val_cross_entropy": ..., "learning_rate": ...,
               "epochs": 98, "model_parameters": 1234567, ...}],
     "learning_curves": {"Train/val_accuracy": [per-epoch values], ...},   # where recorded
     "test_accuracy": 94.1, "runtime": 12345}         # percent; seconds

**The table.** Dataset ``cifar10``; one setting per training schedule: hp = the budget (``"100"``
for NB301's protocol, `PROTOCOL`), or the budget plus a tag when the file's training settings
differ from the protocol (``"1500-c50-l20-3f9a1c2e"``: init channels, layers, and a digest of the
other differences; the manifest's ``training_settings`` lists each hp's differences in full).
T = budget positions, position ``e`` = epoch ``e + 1``. Metrics (`METRICS`): ``valid_acc``,
``train_acc``, ``train_loss`` (the mixup training objective), ``train_ce``, ``valid_loss``
(validation cross-entropy), ``lr``, ``test_acc`` (percent, losses in nats). Costs: ``params_m``
(``model_parameters`` / 10^6), ``train_time_s`` (``runtime``).

**Curves and final values.** ``learning_curves["Train/<name>"]`` (where the file has one) fills
positions 0..L-1 of the metric for the info name ``<name>``; the final value ``info[0][<name>]``
(NB301's training target) fills the last position, T - 1: it is the result of the budgeted run, as
NB301's surrogates read it, so final-epoch queries and ``snb fit`` see every result. ``test_acc``
is recorded there only. A result without curves therefore becomes a row with one value per
metric, at the last epoch, and every other position null (never a copy). ``info[0]["epochs"]``
(the last epoch trained, which can fall a little short of the budget: 1488 of 1500 in NB301's
example) is checked (1..budget) and the manifest counts the results that stopped short
(``stopped_short``). Curve keys that are not ``Train/`` + a name of `METRICS` are ignored and
listed in the manifest (``curves_ignored``).

**Repeats.** NB301 records no seed. Results of one cell (the same canonical DARTS pair, so two
configs that differ only in the order of a node's inputs count as one cell) at one hp become seeds
0, 1, 2, ... in input order (paths sorted), as NB-101's repeat index. A result whose values
(final validation and test accuracy, runtime, parameters) equal an earlier result of the same cell
is the same run filed twice (e.g. under two optimizers): it is skipped and counted in the manifest
(``duplicates``).

**Source.** The optimizer comes from the nearest folder of the path named as one of `SOURCES`
(``"unknown"`` otherwise). The table format has no text column per trial, so the manifest holds
``sources``: the trial count per source and, per hp, one source code per trial in the table's row
order ((arch_index, seed) ascending; zlib + base64); `trial_sources` reads it back.

**Bad input** (malformed JSON, a missing key, an inactive edge key set, a value out of range, a
truncated or damaged zip, an oversized member) raises `TableFormatError` naming the file (zip
member) and the value; nothing is written (`write_table` replaces the table atomically, after both
passes: the first pass checks every file and assigns seeds, the second streams the trials).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from surrogate_nb.errors import InvalidArchError, TableFormatError
from surrogate_nb.space.darts_forms import CONFIG_PREFIX, from_config
from surrogate_nb.table._format import MAX_EPOCHS, file_name, read_manifest, write_table

DATASET = "cifar10"
#: Optimizer folders of NB301's data (its data configs' ``filepath_regex``), in its table order.
SOURCES: tuple[str, ...] = (
    "rs",
    "de",
    "tpe",
    "re",
    "darts",
    "bananas",
    "combo",
    "pc_darts",
    "drnas",
    "gdas",
    "random_ws",
)
UNKNOWN_SOURCE = "unknown"
#: Top-level fields of a result that the importer reads (verified against NB301's example
#: ``results_0.json``, except ``learning_curves``: see `CURVES_KEY`).
RESULT_FIELDS = ("optimized_hyperparamater_config", "budget", "info", "test_accuracy", "runtime")
#: Fields of ``info[0]`` read (all present in NB301's example; ``*_final`` are float32 copies).
INFO_FIELDS = (
    "val_accuracy",
    "train_accuracy",
    "train_loss",
    "train_cross_entropy",
    "val_cross_entropy",
    "learning_rate",
    "epochs",
    "model_parameters",
)
#: Per-epoch curves: ``result[CURVES_KEY][CURVE_PREFIX + info name]`` (as NAS-Bench-x11, built on
#: NB301's data, reads ``json_file['learning_curves']['Train/val_accuracy']``).
CURVES_KEY = "learning_curves"
CURVE_PREFIX = "Train/"
#: info[0] name -> table metric.
METRICS: dict[str, str] = {
    "val_accuracy": "valid_acc",
    "train_accuracy": "train_acc",
    "train_loss": "train_loss",
    "train_cross_entropy": "train_ce",
    "val_cross_entropy": "valid_loss",
    "learning_rate": "lr",
}
_ACC = ("val_accuracy", "train_accuracy")
#: NB301's training protocol (``nasbench301.api.fixed_hyperparameters``): results with these
#: settings (T_max = budget) form the plain hp ``"<budget>"``.
PROTOCOL: dict[str, Any] = {
    "CreateImageDataLoader:batch_size": 96,
    "ImageAugmentation:augment": "True",
    "ImageAugmentation:cutout": "True",
    "ImageAugmentation:cutout_holes": 1,
    "ImageAugmentation:cutout_length": 16,
    "ImageAugmentation:autoaugment": "False",
    "ImageAugmentation:fastautoaugment": "False",
    "LossModuleSelectorIndices:loss_module": "cross_entropy",
    "NetworkSelectorDatasetInfo:darts:auxiliary": "True",
    "NetworkSelectorDatasetInfo:darts:drop_path_prob": 0.2,
    "NetworkSelectorDatasetInfo:network": "darts",
    "OptimizerSelector:optimizer": "sgd",
    "OptimizerSelector:sgd:learning_rate": 0.025,
    "OptimizerSelector:sgd:momentum": 0.9,
    "OptimizerSelector:sgd:weight_decay": 0.0003,
    "SimpleLearningrateSchedulerSelector:cosine_annealing:T_max": 100,
    "SimpleLearningrateSchedulerSelector:cosine_annealing:eta_min": 1e-8,
    "SimpleLearningrateSchedulerSelector:lr_scheduler": "cosine_annealing",
    "SimpleTrainNode:batch_loss_computation_technique": "mixup",
    "SimpleTrainNode:mixup:alpha": 0.2,
    "NetworkSelectorDatasetInfo:darts:init_channels": 32,
    "NetworkSelectorDatasetInfo:darts:layers": 8,
}
T_MAX = "SimpleLearningrateSchedulerSelector:cosine_annealing:T_max"
_SHORT = {
    "NetworkSelectorDatasetInfo:darts:init_channels": "c",
    "NetworkSelectorDatasetInfo:darts:layers": "l",
}
#: Largest result file / zip member read (NB301's are tens of KB); a bigger one is refused.
MAX_RESULT_BYTES = 16 << 20

Progress = Callable[[int, int], None]


def _fail(where: str, what: str) -> TableFormatError:
    return TableFormatError(f"{where}: {what}")


# ---- training settings --------------------------------------------------------------------------


def _norm(value: object) -> object:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


def _same(a: object, b: object) -> bool:
    a, b = _norm(a), _norm(b)
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15)
    return a == b


def is_cell_key(key: str) -> bool:
    """A ConfigSpace key of the cell pair (``...:darts:edge_*`` / ``...:darts:inputs_node_*``)."""
    name = key[len(CONFIG_PREFIX) :] if key.startswith(CONFIG_PREFIX) else ""
    return name.startswith(("edge_", "inputs_node_"))


def setting_differences(config: Mapping[str, object], budget: int | None = None) -> dict:
    """The training settings of an NB301 config that differ from `PROTOCOL` (cell keys left out;
    a missing key takes the protocol's value, as NB301's API merges them; ``T_max`` equal to
    ``budget`` is not a difference)."""
    out: dict[str, object] = {}
    for key, value in config.items():
        if is_cell_key(key):
            continue
        if key == T_MAX and budget is not None and _same(value, budget):
            continue
        if key not in PROTOCOL or not _same(value, PROTOCOL[key]):
            out[key] = value
    return dict(sorted(out.items()))


def hp_key(budget: int, differences: Mapping[str, object]) -> str:
    """The table hp of a schedule: ``"<budget>"``, tagged when the settings differ from
    `PROTOCOL` (``-c<init_channels>``, ``-l<layers>``, ``-<8 hex>`` digest of the rest)."""
    hp = str(budget)
    rest = {k: v for k, v in differences.items() if k not in _SHORT}
    for key, tag in _SHORT.items():
        if key in differences:
            hp += f"-{tag}{differences[key]}"
    if rest:
        text = json.dumps({k: _norm(v) for k, v in rest.items()}, sort_keys=True)
        hp += "-" + hashlib.sha256(text.encode()).hexdigest()[:8]
    return hp


# ---- one result -----------------------------------------------------------------------------


@dataclass
class Result:
    """What a result file holds, checked: the cell, its schedule and values."""

    index: int
    budget: int
    hp: str
    differences: dict[str, object]
    last_epoch: int  # info[0].epochs: the last epoch trained (<= budget)
    finals: dict[str, float | None]  # table metric -> final value (None: not recorded)
    curves: dict[str, np.ndarray] = field(default_factory=dict)  # metric -> values (NaN: null)
    params_m: float | None = None
    train_time_s: float | None = None
    ignored_curves: tuple[str, ...] = ()

    def fingerprint(self) -> tuple:
        """Values that tell two runs apart (equal: the same run filed twice)."""
        return (
            self.finals.get("valid_acc"),
            self.finals.get("test_acc"),
            self.train_time_s,
            self.params_m,
        )

    def curve_rows(self, metrics: list[str]) -> dict[str, np.ndarray]:
        """Per metric the T float32 values of the table row (NaN = null); see module docstring."""
        T = self.budget
        out = {}
        for m in metrics:
            row = np.full(T, np.nan, np.float32)
            values = self.curves.get(m)
            if values is not None:
                row[: len(values)] = values
            final = self.finals.get(m)
            if final is not None:
                row[T - 1] = final
            out[m] = row
        return out


def _number(value: object, where: str, name: str, lo: float, hi: float) -> float | None:
    """A finite number in [lo, hi], or None for null / NaN (a value not recorded)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(where, f"{name} = {value!r} is not a number")
    v = float(value)
    if math.isnan(v):
        return None
    if not lo <= v <= hi:
        raise _fail(where, f"{name} = {value!r} is outside {lo:g}..{hi:g}")
    return v


_NUMBER_TYPES = (int, float, type(None))


def _curve(values: list, where: str, what: str, name: str) -> np.ndarray:
    """A per-epoch list → float64 array (NaN = null), each value checked as `_number` does."""
    if not all(type(v) in _NUMBER_TYPES for v in values):
        k = next(i for i, v in enumerate(values) if type(v) not in _NUMBER_TYPES)
        raise _fail(where, f"{what}[{k}] = {values[k]!r} is not a number")
    arr = np.asarray(values, dtype=np.float64)
    lo, hi = _bounds(name)
    bad = np.flatnonzero(~np.isnan(arr) & ~((arr >= lo) & (arr <= hi)))
    if bad.size:
        k = int(bad[0])
        raise _fail(where, f"{what}[{k}] = {values[k]!r} is outside {lo:g}..{hi:g}")
    return arr


def _bounds(name: str) -> tuple[float, float]:
    if name in _ACC or name == "test_accuracy":
        return 0.0, 100.0
    return 0.0, math.inf


def parse_result(data: bytes, where: str) -> Result:
    """Read and check one NB301 result (the bytes of a ``results_*.json``).

    Raises:
        TableFormatError: naming ``where`` and the offending key or value.
    """
    try:
        doc = json.loads(data)
    except json.JSONDecodeError as exc:
        raise _fail(
            where, f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    except (UnicodeDecodeError, RecursionError, ValueError) as exc:
        raise _fail(where, f"not valid JSON ({type(exc).__name__}: {exc})") from None
    if not isinstance(doc, dict):
        raise _fail(where, f"an NB301 result is a JSON object, got {type(doc).__name__}")
    for key in ("optimized_hyperparamater_config", "budget", "info", "test_accuracy"):
        if key not in doc:
            raise _fail(
                where,
                f"lacks {key!r} (an NB301 result has optimized_hyperparamater_config, budget, "
                "info[0].val_accuracy, test_accuracy, runtime)",
            )
    config = doc["optimized_hyperparamater_config"]
    if not isinstance(config, dict):
        raise _fail(
            where, f"optimized_hyperparamater_config must be an object, got {str(config)[:80]!r}"
        )
    try:
        genome = from_config(config)
    except InvalidArchError as exc:
        raise _fail(where, str(exc)) from None
    budget = doc["budget"]
    if isinstance(budget, float) and budget.is_integer():
        budget = int(budget)
    if isinstance(budget, bool) or not isinstance(budget, int) or not 1 <= budget <= MAX_EPOCHS:
        raise _fail(
            where, f"budget = {budget!r}; expected an integer number of epochs in 1..{MAX_EPOCHS}"
        )
    info = doc["info"]
    if not isinstance(info, list) or not info or not isinstance(info[0], dict):
        raise _fail(
            where,
            f"info must be a non-empty list whose first item is an object, got {str(info)[:80]!r}",
        )
    info0 = info[0]
    if "val_accuracy" not in info0 and "val_accuracy_final" not in info0:
        raise _fail(where, "lacks info[0].val_accuracy (NB301's training target)")
    finals: dict[str, float | None] = {}
    for name, metric in METRICS.items():
        value = info0.get(name, info0.get(f"{name}_final"))
        finals[metric] = _number(value, where, f"info[0].{name}", *_bounds(name))
    finals["test_acc"] = _number(doc["test_accuracy"], where, "test_accuracy", 0.0, 100.0)
    last = info0.get("epochs", budget)
    if isinstance(last, float) and last.is_integer():
        last = int(last)
    if isinstance(last, bool) or not isinstance(last, int) or not 1 <= last <= budget:
        raise _fail(
            where, f"info[0].epochs = {last!r}; expected an integer in 1..budget ({budget})"
        )
    params = _number(
        info0.get("model_parameters", doc.get("model_parameters")),
        where,
        "model_parameters",
        0.0,
        math.inf,
    )
    runtime = _number(doc.get("runtime"), where, "runtime", 0.0, math.inf)
    curves: dict[str, np.ndarray] = {}
    ignored: list[str] = []
    raw = doc.get(CURVES_KEY)
    if raw is not None:
        if not isinstance(raw, dict):
            raise _fail(where, f"{CURVES_KEY} must be an object of per-epoch lists")
        for key, values in raw.items():
            curve_name = key[len(CURVE_PREFIX) :] if key.startswith(CURVE_PREFIX) else None
            if curve_name is None or curve_name not in METRICS:
                ignored.append(str(key))
                continue
            if not isinstance(values, list):
                raise _fail(
                    where, f"{CURVES_KEY}[{key!r}] must be a list, got {type(values).__name__}"
                )
            if len(values) > budget:
                raise _fail(
                    where,
                    f"{CURVES_KEY}[{key!r}] has {len(values)} epochs, more than "
                    f"the budget {budget}",
                )
            curves[METRICS[curve_name]] = _curve(
                values, where, f"{CURVES_KEY}[{key!r}]", curve_name
            )
    diffs = setting_differences(config, budget)
    return Result(
        index=genome.index,
        budget=budget,
        hp=hp_key(budget, diffs),
        differences=diffs,
        last_epoch=last,
        finals=finals,
        curves=curves,
        params_m=None if params is None else params / 1e6,
        train_time_s=runtime,
        ignored_curves=tuple(ignored),
    )


# ---- reading folders and zips -------------------------------------------------------------------


def source_of(path: str) -> str:
    """The optimizer of a result path: the nearest folder named in `SOURCES`, else unknown."""
    for part in reversed(PurePosixPath(path).parts[:-1]):
        if part.lower() in SOURCES:
            return part.lower()
    return UNKNOWN_SOURCE


def _wanted(name: str) -> bool:
    p = PurePosixPath(name)
    return p.suffix.lower() == ".json" and not p.name.startswith("._") and "__MACOSX" not in p.parts


def is_nb301_source(source: str | os.PathLike, probe: int = 4096, files: int = 8) -> bool:
    """A ``.zip``, or a folder where one of the first `files` ``*.json`` (sorted walk) holds an
    NB301 result key in its first `probe` bytes."""
    p = Path(source)
    if p.is_file():
        return p.suffix.lower() == ".zip"
    if not p.is_dir():
        return False
    seen = 0
    for path in sorted(p.rglob("*.json")):
        if seen >= files:
            break
        if path.is_file() and _wanted(path.name):
            seen += 1
            with open(path, "rb") as fh:
                if b'"optimized_hyperparamater_config"' in fh.read(probe):
                    return True
    return False


def list_results(source: str | os.PathLike) -> list[str]:
    """Relative paths (folder) or member names (zip) of the result files, sorted.

    Raises:
        TableFormatError: no such path, not a folder or zip, a damaged zip, no ``*.json``.
    """
    src = Path(source)
    if src.is_dir():
        names = sorted(p.relative_to(src).as_posix() for p in src.rglob("*.json") if p.is_file())
        names = [n for n in names if _wanted(n)]
    elif src.is_file():
        with _open_zip(src) as zf:
            names = sorted(
                i.filename for i in zf.infolist() if not i.is_dir() and _wanted(i.filename)
            )
    else:
        raise TableFormatError(
            f"{src}: no such file or folder (expected a folder of NB301 "
            "results_*.json or a .zip of them)"
        )
    if not names:
        raise TableFormatError(f"{src}: holds no *.json result files")
    return names


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise TableFormatError(
            f"{path}: not a readable zip archive ({exc}); is it truncated or damaged? (NB301 "
            "results are read from a folder or a .zip)"
        ) from None


def iter_files(source: str | os.PathLike, names: list[str]) -> Iterator[tuple[str, str, bytes]]:
    """``(name, where, bytes)`` of each result, one file in memory at a time.

    Raises:
        TableFormatError: a file over `MAX_RESULT_BYTES` (declared or inflated), a damaged member.
    """
    src = Path(source)
    if src.is_dir():
        for name in names:
            path = src / name
            where = str(path)
            size = path.stat().st_size
            if size > MAX_RESULT_BYTES:
                raise _fail(where, f"{size} bytes; a result file has at most {MAX_RESULT_BYTES}")
            yield name, where, path.read_bytes()
        return
    with _open_zip(src) as zf:
        for name in names:
            where = f"{src} member {name}"
            try:
                info = zf.getinfo(name)
                if info.file_size > MAX_RESULT_BYTES:
                    raise _fail(
                        where,
                        f"inflates to {info.file_size} bytes; a result file has at "
                        f"most {MAX_RESULT_BYTES} (zip bomb?)",
                    )
                with zf.open(info) as fh:
                    data = fh.read(MAX_RESULT_BYTES + 1)
            except (
                zipfile.BadZipFile,
                OSError,
                EOFError,
                KeyError,
                ValueError,
                NotImplementedError,
                RuntimeError,
                zlib.error,
            ) as exc:
                raise _fail(
                    where, f"cannot be read ({exc}); the zip is damaged or truncated"
                ) from None
            if len(data) > MAX_RESULT_BYTES:
                raise _fail(
                    where,
                    f"inflates to more than {MAX_RESULT_BYTES} bytes although "
                    f"it declares {info.file_size} (zip bomb?)",
                )
            yield name, where, data


# ---- the import -------------------------------------------------------------------------------


@dataclass
class _Plan:
    """What the first pass decided: per file (hp, index, seed or None = skipped copy, source)."""

    files: list[tuple[str, int, int | None, int]] = field(default_factory=list)
    metrics: dict[str, set[str]] = field(default_factory=dict)
    settings: dict[str, dict] = field(default_factory=dict)
    runs: dict[tuple[str, int], list[tuple]] = field(default_factory=dict)
    ignored_curves: set[str] = field(default_factory=set)
    skipped: int = 0
    stopped_short: int = 0


def _plan(source: Path, names: list[str], progress: Progress | None) -> _Plan:
    plan = _Plan()
    codes = {s: i for i, s in enumerate((*SOURCES, UNKNOWN_SOURCE))}
    for k, (name, where, data) in enumerate(iter_files(source, names)):
        r = parse_result(data, where)
        runs = plan.runs.setdefault((r.hp, r.index), [])
        fp = r.fingerprint()
        seed: int | None = None if fp in runs else len(runs)
        if seed is None:
            plan.skipped += 1
        else:
            runs.append(fp)
        plan.files.append((r.hp, r.index, seed, codes[source_of(name)]))
        metrics = plan.metrics.setdefault(r.hp, set())
        metrics.update(m for m, v in r.finals.items() if v is not None)
        metrics.update(r.curves)
        plan.settings.setdefault(r.hp, {"budget": r.budget, "differs_from_protocol": r.differences})
        plan.ignored_curves.update(r.ignored_curves)
        plan.stopped_short += r.last_epoch < r.budget
        if progress is not None:
            progress(k + 1, 2 * len(names))
    return plan


def _trials(source: Path, names: list[str], plan: _Plan, progress: Progress | None):
    metrics = {hp: sorted(ms) for hp, ms in plan.metrics.items()}
    for k, ((_, where, data), (hp, index, seed, _)) in enumerate(
        zip(iter_files(source, names), plan.files)
    ):
        r = parse_result(data, where)
        if (r.hp, r.index) != (hp, index):
            raise _fail(where, "changed while it was imported; run the import again")
        if progress is not None:
            progress(len(names) + k + 1, 2 * len(names))
        if seed is None:
            continue
        yield {
            "arch_index": r.index,
            "dataset": DATASET,
            "hp": hp,
            "seed": seed,
            "epochs": r.budget,
            "status": "ok",
            "params_m": r.params_m,
            "train_time_s": r.train_time_s,
            "curves": r.curve_rows(metrics[hp]),
        }


def _source_codes(plan: _Plan) -> dict[str, Any]:
    """The manifest's ``sources``: names, trial counts, per hp the codes in table row order."""
    names = [*SOURCES, UNKNOWN_SOURCE]
    kept = [(hp, i, s, c) for hp, i, s, c in plan.files if s is not None]
    counts = {names[c]: 0 for c in sorted({c for *_, c in kept})}
    for *_, c in kept:
        counts[names[c]] += 1
    per_hp: dict[str, str] = {}
    for hp in sorted(plan.metrics):
        rows = sorted((i, s, c) for h, i, s, c in kept if h == hp)
        codes = bytes(c for _, _, c in rows)
        per_hp[hp] = base64.b64encode(zlib.compress(codes, 9)).decode()
    return {
        "names": names,
        "trials": counts,
        "codes": per_hp,
        "rule": "the nearest folder of a result's path named as one of NB301's optimizer "
        f"folders {list(SOURCES)}, else {UNKNOWN_SOURCE!r}; codes: per hp one byte per trial "
        "(index into names) in the table's row order ((arch_index, seed) ascending), zlib + "
        "base64; read with surrogate_nb.table.importers.nb301.trial_sources",
    }


def import_nb301(
    source: str | os.PathLike,
    out: str | os.PathLike,
    *,
    command: str = "",
    progress: Progress | None = None,
) -> Path:
    """Import NB301 result files (a folder, searched recursively, or a ``.zip``) into a table.

    Args:
        source: folder or zip of ``results_*.json`` (see module docstring).
        out: table directory to write (replaced atomically).
        progress: ``progress(files_done, files_total)``, both passes counted.

    Raises:
        TableFormatError: any unreadable or malformed file (naming it and the value); nothing
            is written then.
    """
    src = Path(source)
    names = list_results(src)
    plan = _plan(src, names, progress)
    manifest = {
        "command": command,
        "source": {
            "path": src.name,
            "format": "nb301 results json (" + ("folder" if src.is_dir() else "zip") + ")",
            "files": len(names),
        },
        "protocol": {
            "benchmark": "NAS-Bench-301",
            "dataset": "CIFAR-10: 40k train / 10k validation images, test on the 10k test set",
            "fixed_hyperparameters": PROTOCOL,
        },
        "training_settings": plan.settings,
        "seeds": "NB301 records no seed: the results of one cell (canonical DARTS pair) at one "
        "hp are seeds 0, 1, ... in sorted path order",
        "duplicates": {
            "skipped": plan.skipped,
            "rule": "a result whose final valid/test accuracy, runtime and parameters equal an "
            "earlier result of the same cell and hp is the same run filed twice: skipped",
        },
        "final_values": "info[0][name] (NB301's training target) at the last position T - 1, "
        "learning_curves['Train/<name>'] at positions 0..L-1 (epochs 1..L); test_acc at T - 1 "
        "only",
        "stopped_short": plan.stopped_short,
        "curves_ignored": sorted(plan.ignored_curves),
        "units": {
            "*_acc": "percent",
            "train_loss": "mixup training objective",
            "train_ce, valid_loss": "cross-entropy (nats)",
            "lr": "learning rate",
            "train_time_s": "NB301 runtime (seconds)",
        },
        "sources": _source_codes(plan),
    }
    return write_table(out, _trials(src, names, plan, progress), manifest=manifest, space="darts")


def trial_sources(table: str | os.PathLike, hp: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(arch_index int64, seed int64, source str)`` of every trial of an imported NB301 table's
    hp, in row order (the manifest's ``sources``; see module docstring).

    Raises:
        TableFormatError: the table was not imported from NB301 results, or its codes do not
            match its rows.
    """
    import pyarrow.parquet as pq

    root = Path(table)
    m = read_manifest(root)
    src = m.get("sources")
    if not isinstance(src, dict) or hp not in src.get("codes", {}):
        raise TableFormatError(
            f"{root}: no NB301 source codes for hp {hp!r} (a table written by import_nb301 "
            f"holds them for {sorted((src or {}).get('codes', {}))})"
        )
    codes = np.frombuffer(zlib.decompress(base64.b64decode(src["codes"][hp])), np.uint8)
    rel = f"data/{file_name(DATASET, hp)}"
    t = pq.read_table(root / rel, columns=["arch_index", "seed"])
    if t.num_rows != codes.size:
        raise TableFormatError(
            f"{root}: {codes.size} source codes for {t.num_rows} rows of hp {hp}"
        )
    names = np.asarray(src["names"], dtype=object)
    return (
        t.column("arch_index").to_numpy().astype(np.int64),
        t.column("seed").to_numpy().astype(np.int64),
        names[codes],
    )
