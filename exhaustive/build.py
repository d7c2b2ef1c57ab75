"""The build driver: trains every requested (cell, seed) once, resumably, and writes the table.

`BuildPlan` says what to build; `run_build` runs it with a backend (`LocalBackend` here, or
`ray_backend.RayBackend`) and reports progress through a callback (library code never prints).

Resumability: every trial is a row of a SQLite ledger next to the table (`<out>.ledger.sqlite`).
A unit of work (one cell's seeds, or `group_cells` cells × seeds, trained fused by the engine)
is committed in one transaction, so a build killed at any moment and run again trains nothing
twice (done rows are skipped), loses nothing (rows running in a dead process are handed out
again) and writes the same table: the records come from the ledger in a fixed order, and a unit
is re-run whole, with the same seeds and the same grouping.

Cell selection (`resolve_cells`, any space): "all" = every cell of an enumerable space; an
integer N = the first N cells of ``numpy.random.default_rng(CELLS_SEED).permutation(size)`` (a
fixed uniform sample, so "--cells 100" and "--cells 200" share their first 100), or, in a space
too large to enumerate (DARTS), the first N distinct cells of the space's uniform `sample` drawn
from that generator (the same prefix property); a file = one cell per line in any form the
space reads (blank lines and ``#`` comments ignored). Cells are then sorted by index.

Sources: the ledger records which source proposed each cell (``--sample``: "random", a file,
or a NAS optimizer whose evaluations are real trainings, `surrogate_nb.evaluation.true_runs`);
the table's manifest carries them (NB301's leave-one-optimizer-out needs them). A build of a
space that cannot be enumerated grows: its ledger is keyed by the protocol only, so later
builds with other cells, seeds or sources add to the same table.

`--unique-only` (NB201) keeps the smallest index of each isomorphism class present and records
the mapping cell -> trained cell in the manifest. `--shard i/n` trains cells[i::n] of the
(unique) sorted list; all shards share one ledger and whichever shard finds the whole build
done writes the table.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from surrogate_nb import ranking
from surrogate_nb._atomic import check_output
from surrogate_nb._provenance import git_commit
from surrogate_nb.errors import BuildError
from surrogate_nb.exhaustive.config import SEEDS, TrainConfig
from surrogate_nb.exhaustive.datasets import PreparedData, load_setting
from surrogate_nb.exhaustive.ledger import Key, Ledger
from surrogate_nb.space import NB201, Arch, SearchSpace, get_space
from surrogate_nb.table import TrialRecord, write_table

#: Seed of the uniform cell sample behind `--cells N`.
CELLS_SEED = 0

# ---- what to build ----------------------------------------------------------------------------


#: The most cells `--cells N` samples from a space that cannot be enumerated.
MAX_SAMPLED_CELLS = 10_000_000
#: What names a build's cells: "all", a number N, a file of cells, or the cells themselves.
CellSpec = str | int | Sequence[object] | os.PathLike[str]


def sampled_cells(space: SearchSpace, n: int) -> list[int]:
    """The first `n` distinct cells (indices, in draw order) of `space.sample` driven by
    ``default_rng(CELLS_SEED)``: the fixed uniform sample of a space too large to enumerate."""
    rng = np.random.default_rng(CELLS_SEED)
    seen: dict[int, None] = {}
    while len(seen) < n:
        seen.setdefault(space.index_of(space.sample(rng)))
    return list(seen)


def resolve_cells(cells: CellSpec, space: SearchSpace = NB201) -> list[int]:
    """Cell indices for "all", an int N (fixed uniform sample), a file, or a list of cells.

    Raises:
        BuildError: unreadable file, bad N, "all" of a space that cannot be enumerated, or a
            line that is not a cell.
    """
    if isinstance(cells, str) and cells.strip().lower() == "all":
        if not space.enumerable:
            raise BuildError(
                f"--cells all: the {space.name} space has {space.cardinality:,} cells and cannot "
                "be enumerated; give a number of cells to sample or a file of cells"
            )
        return list(range(space.cardinality))
    if isinstance(cells, str) and cells.strip().isdigit():
        cells = int(cells)
    if isinstance(cells, (int, np.integer)):
        most = space.cardinality if space.enumerable else MAX_SAMPLED_CELLS
        if not 1 <= cells <= most:
            raise BuildError(f"--cells N must be in 1..{most}, got {cells}")
        if not space.enumerable:
            return sorted(sampled_cells(space, int(cells)))
        order = np.random.default_rng(CELLS_SEED).permutation(space.cardinality)[: int(cells)]
        return sorted(int(i) for i in order)
    if isinstance(cells, (str, os.PathLike)):
        path = Path(cells)
        if not path.is_file():
            raise BuildError(
                f"--cells {cells!r} is neither 'all', a number, nor a file of cells (one cell per "
                f"line, in any form the {space.name} space reads)"
            )
        out = []
        for n, line in enumerate(path.read_text().splitlines(), 1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            try:
                out.append(space.index_of(int(text) if text.isdigit() else text))
            except ValueError as exc:
                raise BuildError(f"{path}:{n}: not a cell ({exc})") from exc
        if not out:
            raise BuildError(f"{path} lists no cells")
        return sorted(set(out))
    return sorted({int(i) for i in space.as_indices(list(cells))})


def unique_mapping(cells: Sequence[int]) -> dict[int, int]:
    """cell -> the smallest index among `cells` of its isomorphism class."""
    rep: dict[str, int] = {}
    for c in sorted(cells):
        rep.setdefault(Arch.from_index(c).unique_str(), c)
    return {c: rep[Arch.from_index(c).unique_str()] for c in cells}


def parse_shard(text: str | None) -> tuple[int, int]:
    """ "i/n" -> (i, n) with 0 <= i < n; None -> (0, 1)."""
    if text is None:
        return 0, 1
    try:
        i, n = (int(v) for v in str(text).split("/"))
    except ValueError:
        raise BuildError(f"--shard must look like i/n (e.g. 0/4), got {text!r}") from None
    if not (n >= 1 and 0 <= i < n):
        raise BuildError(f"--shard i/n needs 0 <= i < n, got {text!r}")
    return i, n


@dataclass(frozen=True)
class BuildPlan:
    """One build: a setting, a protocol, the cells and seeds, where the table goes.

    Attributes:
        dataset: setting name (see `datasets.SETTINGS`).
        out: table directory to write; the ledger is `<out>.ledger.sqlite` unless `ledger` is set.
        config: the training protocol and fidelity.
        cells: what `resolve_cells` accepts.
        seeds: training seeds.
        shard: "i/n" or None.
        unique_only: train one cell per isomorphism class.
        data_dir: source folder or .npz (None = default).
        device: torch device of local training.
        engine: "fast" (fused, `engine.train_group`) or "reference" (`trainer.train_trial`).
        group_cells: cells fused per engine unit (each with all its seeds) when fusing.
        fuse: fuse the seeds (and `group_cells` cells) of a unit into one network: "auto" = on
            CUDA only (on CPU grouped convolutions are slower than separate ones), "yes", "no".
        retry_failed: hand failed rows out again.
        command: the command line, for the manifest.
        ledger: ledger path override.
        space: the search space of the cells (`surrogate_nb.space.SPACES`).
        source: what proposed this build's cells, recorded per cell in the ledger and the
            manifest (default: "random" for N sampled cells, "file:NAME", "all", "list").
    """

    dataset: str
    out: str
    config: TrainConfig = field(default_factory=TrainConfig)
    cells: CellSpec = "all"
    seeds: tuple[int, ...] = SEEDS
    shard: str | None = None
    unique_only: bool = False
    data_dir: str | None = None
    device: str = "cpu"
    engine: str = "fast"
    group_cells: int = 1
    fuse: str = "auto"
    retry_failed: bool = False
    command: str = ""
    ledger: str | None = None
    space: str = "nb201"
    source: str | None = None

    @property
    def search_space(self) -> SearchSpace:
        """The `SearchSpace` object of `space` (`BuildError` for an unknown name)."""
        try:
            return get_space(self.space)
        except LookupError as exc:
            raise BuildError(str(exc)) from None

    @property
    def cell_source(self) -> str:
        """`source`, or what `cells` says about where the cells come from."""
        if self.source:
            return self.source
        spec = str(self.cells).strip()
        if spec.isdigit():
            return "random"
        if spec.lower() == "all":
            return "all"
        if isinstance(self.cells, (str, os.PathLike)):
            return f"file:{Path(spec).name}"
        return "list"

    @property
    def fused(self) -> bool:
        """Whether units hold several trials (see `fuse`)."""
        if self.fuse not in ("auto", "yes", "no"):
            raise BuildError(f"fuse must be 'auto', 'yes' or 'no', got {self.fuse!r}")
        if self.engine != "fast":
            return False
        return self.fuse == "yes" or (self.fuse == "auto" and self.device.startswith("cuda"))

    @property
    def ledger_path(self) -> Path:
        """Where the ledger lives."""
        return Path(self.ledger) if self.ledger else Path(f"{Path(self.out)}.ledger.sqlite")


@dataclass(frozen=True)
class Progress:
    """What a progress callback receives after each unit.

    Attributes:
        done / failed / total: trials of this run's shard in each state, and in all.
        trained_now: trials finished by this process so far.
        trials_per_hour: this process's rate.
        eta_s: seconds left at that rate (None before the first unit).
        elapsed_s: wall time of this run.
    """

    done: int
    failed: int
    total: int
    trained_now: int
    trials_per_hour: float
    eta_s: float | None
    elapsed_s: float


@dataclass(frozen=True)
class BuildResult:
    """What `run_build` did: counts, whether it wrote the table, and where."""

    total: int
    done: int
    failed: int
    trained_now: int
    table: str | None
    ledger: str
    errors: dict = field(default_factory=dict)


# ---- backends ---------------------------------------------------------------------------------


Unit = list[tuple[int, int]]  # [(arch_index, seed), ...] trained together


def train_unit(
    unit: Unit,
    data: PreparedData,
    config: TrainConfig,
    device: str,
    engine: str,
    space: str = "nb201",
) -> list[TrialRecord]:
    """Train one unit; returns its records in unit order. Pure: same inputs, same records."""
    if engine == "fast":
        from surrogate_nb.exhaustive.engine import train_group

        check_engine(engine, space)
        return train_group([(Arch.from_index(a), s) for a, s in unit], data, config, device)
    if engine == "reference":
        from surrogate_nb.exhaustive.trainer import train_trial

        sp = get_space(space)
        return [train_trial(sp.from_index(a), data, config, s, device) for a, s in unit]
    raise BuildError(f"engine must be 'fast' or 'reference', got {engine!r}")


def check_engine(engine: str, space: str) -> None:
    """The fused fast engine implements NB201's network only; refuse it for other spaces."""
    if engine == "fast" and space != NB201.name:
        raise BuildError(
            f"--engine fast fuses NB201 cells only; the {space} space trains with --engine "
            "reference"
        )


#: Training engines of `train_unit`.
ENGINES = ("fast", "reference")
#: Torch device types a build trains on.
DEVICE_TYPES = ("cpu", "cuda", "mps")


def check_device(device: str, *, here: bool = True) -> None:
    """Refuse a device a build cannot train on, before the first trial.

    Args:
        device: a torch device string ("cpu", "cuda", "cuda:1", "mps").
        here: also check that this machine has it (False for Ray workers elsewhere).

    Raises:
        BuildError: not a device string of `DEVICE_TYPES`, or (``here``) not present.
    """
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        dev = None
    if dev is None or dev.type not in DEVICE_TYPES:
        raise BuildError(
            f"--device {device!r} is not a device a build trains on; use cpu, cuda, cuda:N or mps"
        )
    if not here or dev.type == "cpu":
        return
    if dev.type == "cuda":
        n = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if (dev.index or 0) >= n:
            raise BuildError(
                f"--device {device!r}: this machine has {n} CUDA device(s)"
                + ("" if n else " (use --device cpu, or a GPU machine)")
            )
    elif not torch.backends.mps.is_available():
        raise BuildError(f"--device {device!r}: MPS is not available on this machine")


def check_plan(plan: BuildPlan, *, local: bool = True) -> None:
    """Every option of a build checked before any data is loaded or trial trained: engine,
    fuse, device (present here when ``local``), group size, and the output path (`check_output`).

    Raises:
        BuildError: a bad engine, fuse, device or group size.
        OutputError: ``plan.out`` holds something other than a table or cannot be written.
    """
    if plan.engine not in ENGINES:
        raise BuildError(f"--engine must be 'fast' or 'reference', got {plan.engine!r}")
    if plan.fuse not in ("auto", "yes", "no"):
        raise BuildError(f"--fuse must be 'auto', 'yes' or 'no', got {plan.fuse!r}")
    if not isinstance(plan.group_cells, int) or plan.group_cells < 1:
        raise BuildError(f"--group-cells must be an integer >= 1, got {plan.group_cells!r}")
    check_engine(plan.engine, plan.space)
    check_device(plan.device, here=local)
    check_output(plan.out, "table")


class LocalBackend:
    """Trains units one after the other in this process."""

    def __init__(self, device: str = "cpu", engine: str = "fast", space: str = "nb201") -> None:
        self.device, self.engine, self.space = device, engine, space

    def run(
        self, units: Iterable[Unit], data: PreparedData, config: TrainConfig
    ) -> Iterator[tuple[Unit, list[TrialRecord] | BaseException]]:
        """Yield (unit, records) or (unit, exception) as units finish."""
        for unit in units:
            try:
                yield unit, train_unit(unit, data, config, self.device, self.engine, self.space)
            except Exception as exc:  # recorded as failed; the build goes on
                add_note(exc, traceback.format_exc(limit=5))
                yield unit, exc


def add_note(exc: BaseException, note: str) -> None:
    """`BaseException.add_note` (Python 3.11+); on 3.10 the same ``__notes__`` list by hand."""
    if sys.version_info >= (3, 11):
        exc.add_note(note)
    else:
        exc.__dict__.setdefault("__notes__", []).append(note)


# ---- the driver -------------------------------------------------------------------------------


def plan_cells(plan: BuildPlan) -> tuple[list[int], list[int], dict[int, int] | None]:
    """(all cells to train in the build, this shard's cells, unique mapping or None)."""
    cells = resolve_cells(plan.cells, plan.search_space)
    mapping = None
    if plan.unique_only and plan.space != NB201.name:
        raise BuildError(
            f"--unique-only merges NB201's isomorphic cells; {plan.space} indices are already one "
            "per cell"
        )
    if plan.unique_only:
        mapping = unique_mapping(cells)
        cells = sorted(set(mapping.values()))
    i, n = parse_shard(plan.shard)
    return cells, cells[i::n], mapping


def _manifest(
    plan: BuildPlan,
    data: PreparedData,
    mapping: dict | None,
    cells: list[int],
    counts: dict[str, int],
    fidelity: dict,
    sources: dict[str, list[int]],
) -> dict:
    from surrogate_nb.exhaustive.trainer import curve_names

    complete = counts["pending"] == 0 and counts["running"] == 0
    return {
        "producer": "surrogate_nb.exhaustive.build",
        "command": plan.command,
        "git_commit": git_commit(),
        "protocol": {
            **plan.config.to_dict(),
            "seeds": list(plan.seeds),
            "hp": plan.config.hp,
            "optimizer": "SGD nesterov",
            "schedule": "cosine, constant within an epoch",
            "augmentation": "random crop (zero pad) + horizontal flip",
        },
        "engine": plan.engine,
        "device": plan.device,
        "cells": {"spec": str(plan.cells), "count": len(cells), "sample_seed": CELLS_SEED},
        # which source proposed each cell: lists for a sampled space, counts for an enumerable one
        "sources": sources
        if not plan.search_space.enumerable
        else {k: len(v) for k, v in sources.items()},
        # A partial table (--write-partial) holds the trials finished so far; the ledger resumes.
        "complete": complete,
        "trials": {k: counts[k] for k in ("done", "failed", "pending", "running")},
        "unique_only": None
        if mapping is None
        else {
            "mapping": {str(k): v for k, v in sorted(mapping.items())},
            "classes": len(set(mapping.values())),
        },
        "datasets": {data.setting: data.manifest},
        "fidelity": {
            "resolution": plan.config.resolution,
            "train_subset": plan.config.train_subset,
            "eval_subset": plan.config.eval_subset,
            "epochs": plan.config.epochs,
            **fidelity,
        },
        "metrics": curve_names(data),
    }


def seed_agreement(records: Iterable[TrialRecord]) -> dict:
    """How well one seed ranks cells like another: the fidelity's noise, for the manifest.

    `surrogate_nb.ranking.seed_agreement` (mean pairwise Kendall τ between seeds, each pair over
    the cells both seeds finished) of the final validation accuracy: the first of
    ``x-valid_acc``, ``valid_acc``, ``test_acc`` that the records hold. τ near 1: one seed
    suffices to rank; near 0: rankings are noise.
    """
    finals: dict[int, dict[int, float]] = {}
    metric = None
    for r in records:
        if metric is None:
            metric = next((m for m in _AGREEMENT_METRICS if m in r["curves"]), None)
        curve = r["curves"].get(metric) if metric else None
        value = curve[-1] if curve is not None and len(curve) else None
        if r.get("status") == "ok" and value is not None:
            finals.setdefault(r["arch_index"], {})[r["seed"]] = float(value)
    seeds = sorted({s for v in finals.values() for s in v})
    Y = np.asarray([[v.get(s, np.nan) for s in seeds] for v in finals.values()], np.float64)
    agreement = ranking.seed_agreement(Y.reshape(len(finals), len(seeds)), seeds)
    tau = agreement.seed_to_seed_kendall_tau
    return {
        "cells": len(finals),
        "cells_with_all_seeds": sum(len(v) == len(seeds) for v in finals.values()),
        "metric": metric,
        ranking.SEED_AGREEMENT_KEY: tau if np.isfinite(tau) else None,
        "pairwise_kendall_tau": [p.tau for p in agreement.pairs],
    }


_AGREEMENT_METRICS = ("x-valid_acc", "valid_acc", "test_acc")


def _whole_cells(
    results: Callable[[], Iterable[TrialRecord]], ledger: Ledger
) -> Iterator[TrialRecord]:
    """The done records of the cells whose every ledger row (seed) is done: no seed holes."""
    unfinished = {a for (_, _, _, a), state in ledger.states().items() if state != "done"}
    return (r for r in results() if r["arch_index"] not in unfinished)


def _check_compatible(ledger: Ledger, fingerprint: dict, keys: list) -> None:
    """Check the ledger belongs to this build and add its trials (one transaction)."""
    old = ledger.claim(fingerprint, keys)
    if old is not None:
        diff = sorted(k for k in set(old) | set(fingerprint) if old.get(k) != fingerprint.get(k))
        raise BuildError(
            f"{ledger.path} belongs to a different build (differs in: {', '.join(diff)}); use "
            f"another --out, or delete the ledger to start over"
        )


def run_build(
    plan: BuildPlan,
    *,
    backend=None,
    data: PreparedData | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    max_units: int | None = None,
    write_partial: bool = False,
    only_cells: Sequence[object] | None = None,
    write: bool = True,
) -> BuildResult:
    """Run (or resume) a build; writes the table when every trial of the build is done or failed.

    Args:
        plan: what to build.
        backend: `LocalBackend` (default, from plan.device/engine) or a `RayBackend`.
        data: the prepared setting (loaded from the plan when None).
        on_progress: called after each finished unit.
        max_units: stop after this many units (for tests and time-boxed runs).
        write_partial: also write the table when trials remain (the manifest says
            ``"complete": false`` and counts them); a later run resumes from the ledger.
        only_cells: train just these cells now (all seeds), under the plan's protocol, adding
            them to the ledger when the plan's cell list lacks them (a table grows by lookups;
            used by weight-sharing scoring and optimizer sources). Other pending trials stay
            pending.
        write: write the table at the end (False: only the ledger, e.g. between the
            evaluations of an optimizer source, which writes the table once at its end).

    Raises:
        BuildError: inconsistent ledger, bad cells/shard, an engine the space cannot use.
    """
    space = plan.search_space
    check_plan(plan, local=backend is None or isinstance(backend, LocalBackend))
    cells, mine, mapping = plan_cells(plan)
    extra: list[int] = []
    if only_cells is not None:
        mine = sorted({int(i) for i in space.as_indices(list(only_cells))})
        extra = sorted(set(mine) - set(cells))
    cfg = plan.config
    if data is None:
        data = load_setting(
            plan.dataset,
            plan.data_dir,
            resolution=cfg.resolution,
            train_subset=cfg.train_subset,
            eval_subset=cfg.eval_subset,
        )
    from surrogate_nb.exhaustive.trainer import check_protocol

    check_protocol(space, data, cfg)
    backend = backend or LocalBackend(plan.device, plan.engine, plan.space)
    hp = cfg.hp
    ledger = Ledger(plan.ledger_path)
    try:
        all_keys: list[Key] = [(plan.dataset, hp, s, c) for c in cells for s in plan.seeds]
        extra_keys: list[Key] = [(plan.dataset, hp, s, c) for c in extra for s in plan.seeds]
        fingerprint = {
            "dataset": plan.dataset,
            "config": cfg.to_dict(),
            "seeds": list(plan.seeds),
            "cells": cells,
            "engine": plan.engine,
            "group_cells": plan.group_cells,
            "fused": plan.fused,
            "splits": data.manifest["split_sha256"],
        }
        if plan.space != NB201.name:
            fingerprint["space"] = plan.space
        if not space.enumerable:  # a sampled space's table grows: keyed by the protocol only
            del fingerprint["cells"], fingerprint["seeds"]
        _check_compatible(ledger, fingerprint, all_keys + extra_keys)
        ledger.add_sources(plan.cell_source, mine if only_cells is not None else cells)
        my_keys = [(plan.dataset, hp, s, c) for c in mine for s in plan.seeds]
        ledger.reclaim()
        todo = ledger.pending(my_keys, retry_failed=plan.retry_failed)
        # units: group_cells cells with all their pending seeds (fixed grouping = same numerics)
        by_cell: dict[int, list[int]] = {}
        for _, _, s, c in todo:
            by_cell.setdefault(c, []).append(s)
        cell_list = sorted(by_cell)
        units: list[Unit] = []
        if plan.fused:
            for start in range(0, len(cell_list), max(1, plan.group_cells)):
                chunk = cell_list[start : start + max(1, plan.group_cells)]
                units.append([(c, s) for c in chunk for s in sorted(by_cell[c])])
        else:
            units = [[(c, s)] for c in cell_list for s in sorted(by_cell[c])]
        if max_units is not None:
            units = units[:max_units]
        ledger.start_heartbeat()
        t0 = time.time()
        trained = failed_now = 0
        first_error = ""
        if on_progress is not None:  # before the first unit: what is done, what is left
            now = ledger.counts(my_keys)
            on_progress(Progress(now["done"], now["failed"], len(my_keys), 0, 0.0, None, 0.0))

        def feed() -> Iterator[Unit]:
            for unit in units:
                # a unit another build on this ledger took first is skipped (shared work)
                if ledger.try_start([(plan.dataset, hp, s, c) for c, s in unit]):
                    yield unit

        for unit, result in backend.run(feed(), data, cfg):
            keys = [(plan.dataset, hp, s, c) for c, s in unit]
            if isinstance(result, BaseException):
                failed_now += len(keys)
                first_error = first_error or f"{type(result).__name__}: {result}"
                ledger.fail(
                    keys,
                    f"{type(result).__name__}: {result}\n"
                    + "\n".join(getattr(result, "__notes__", [])),
                )
            else:
                ledger.complete(list(zip(keys, result)))
                trained += len(keys)
            if on_progress is not None:
                now = ledger.counts(my_keys)
                elapsed = time.time() - t0
                rate = trained / elapsed * 3600 if elapsed > 0 else 0.0
                left = now["pending"] + now["running"]
                on_progress(
                    Progress(
                        now["done"],
                        now["failed"],
                        len(my_keys),
                        trained,
                        rate,
                        left / rate * 3600 if rate > 0 else None,
                        elapsed,
                    )
                )
        ledger.stop_heartbeat()
        if failed_now and not trained:
            first = (first_error.strip().splitlines() or ["?"])[0]
            raise BuildError(
                f"every trial of this run failed ({failed_now}); the first: {first}. The ledger "
                f"{ledger.path} records them: fix the cause, then re-run with --retry-failed"
            )
        counts = ledger.counts()
        table = None
        finished = counts["pending"] == 0 and counts["running"] == 0
        if write and counts["done"] > 0 and (finished or write_partial):
            records = ledger.results
            if not finished:  # a partial table holds whole cells only: no holes in seeds
                records = partial(_whole_cells, ledger.results, ledger)
            fidelity = seed_agreement(records())
            held = {r["arch_index"] for r in records()}
            sources = {
                name: [c for c in members if c in held]
                for name, members in ledger.sources().items()
            }
            manifest = _manifest(plan, data, mapping, cells, counts, fidelity, sources)
            table = str(write_table(plan.out, records(), manifest=manifest, space=plan.space))
        return BuildResult(
            len(all_keys),
            counts["done"],
            counts["failed"],
            trained,
            table,
            str(ledger.path),
            {str(k): v for k, v in ledger.errors().items()},
        )
    finally:
        ledger.close()
