"""The end-to-end demo behind `snb demo` / `make demo` (< 10 minutes on a 2-core CPU).

1. **Live build**: trains a few Fashion-MNIST cells at a very low fidelity through the exhaustive
   build API (`run_build`), to show the pipeline working; its numbers are not used for anything,
   so it runs on a thread beside the studies (on two cores, its torch training fills the time
   the studies leave one core idle). Not when the studies' surrogate itself uses torch
   (`_uses_torch`: torch's random state and thread count are process-wide): then it runs first.
2. **The studied table** (default: the committed one, `default_table_path()`:
   ``surrogate_nb/data/tables/fashion-mnist-lowfi``): how many cells it holds, at which fidelity,
   its seed-to-seed agreement (Kendall τ between seeds); the `noise`, `leave-out` and `compare`
   studies on it.
3. **Real NB201 data** (optional): when `DemoConfig.nb201_csv` names the published NB201
   reference CSV (the CLI passes ``../shared/nb201/...`` when it exists), the noise study also
   runs on its CIFAR-10 per-run validation accuracies (imported into the run folder).

What runs is a `DemoConfig`: `DemoConfig.quick()` (CI, tests) and `DemoConfig.full()` (``make
demo``) are the two presets; every field can be overridden. Everything is written under
`DemoConfig.out`: ``report.md`` (headline plot first), its PNGs, ``figures.json``,
``summary.json`` and one sub-folder per study with its own report. Library code never prints:
progress goes to the `on_event` callback (the CLI draws progress bars from it). The result and
its report live in `surrogate_nb.evaluation.demo_report`.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from surrogate_nb.errors import DatasetError, SurrogateNBError
from surrogate_nb.evaluation.demo_report import DemoResult, write_report
from surrogate_nb.evaluation.optimizers import (
    BaseOptimizer,
    CellPool,
    Hyperband,
    LocalSearch,
    RandomSearch,
    RegularizedEvolution,
    default_optimizers,
)
from surrogate_nb.evaluation.studies import (
    REGION_KINDS,
    StudyResult,
    compare_study,
    leave_out_study,
    noise_study,
    seed_matrix,
)
from surrogate_nb.evaluation.studies.leave_out import default_optimizers as leave_out_defaults
from surrogate_nb.exhaustive import BuildPlan, TrainConfig, run_build
from surrogate_nb.ranking import recorded_seed_agreement, seed_agreement
from surrogate_nb.regressors import (
    BaseRegressor,
    LGBRegressor,
    Surrogate,
    SurrogateBenchmark,
    SurrogateModel,
)
from surrogate_nb.regressors.base import BaggedTrees
from surrogate_nb.table import Benchmark
from surrogate_nb.table.importers.wide import import_wide

#: Name of the committed low-fidelity Fashion-MNIST table (package data).
TABLE_NAME = "fashion-mnist-lowfi"

#: Callback receiving (event, payload): ("stage", {"name", "detail"}), ("build", Progress),
#: ("done", {"name", "seconds"}).
EventHandler = Callable[[str, Any], None]


def default_table_path() -> Path | None:
    """The committed table ``surrogate_nb/data/tables/fashion-mnist-lowfi`` (package data), or
    None when it is absent."""
    path = Path(str(resources.files("surrogate_nb"))) / "data" / "tables" / TABLE_NAME
    return path if (path / "manifest.json").is_file() else None


def demo_surrogate(regressor: type[BaseRegressor] = LGBRegressor, *, quick: bool) -> Surrogate:
    """A `Surrogate` with small settings for the demo's CPU budget (3 members; 120 boosting
    rounds quick, 300 full, for the tree ensembles), recorded in the report."""
    small = {"n_members": 3, "n_estimators": 120 if quick else 300}
    names = regressor._param_names()
    return Surrogate(regressor(**{k: v for k, v in small.items() if k in names}))


@dataclass(frozen=True)
class DemoConfig:
    """What the demo does; `quick` and `full` are the presets.

    Attributes:
        out: output folder (report.md and sub-reports).
        table: table to study; None = `default_table_path()`.
        dataset, hp: the table's setting studied; None = its only one (or "fashion-mnist" /
            the largest hp when it has several).
        signal, report_metric: search signal and reported metric; None = the first pair of
            (valid_acc, test_acc), (x-valid_acc, x-test_acc), (x-valid_acc, test_acc) the table
            holds.
        nb201_csv: the published NB201 reference CSV for the optional real-data noise study
            (None: skipped).
        live_cells: cells trained live (0 = skip the live build).
        live_epochs: epochs of each live trial.
        data_dir: Fashion-MNIST folder; None = the build's default (/usr/share/datasets/...).
        seed: master seed of every random choice.
        surrogate: the surrogate the studies fit (copies of it); label `surrogate_label`.
        sizes: training sizes of the noise study.
        test_size: held-out cells of the noise study.
        leave_out_kinds: region families of the leave-out study.
        leave_out_optimizers: optimizers whose visited cells are leave-out regions.
        leave_out_repeats: runs per such optimizer.
        max_train: training-set cap of the leave-out study.
        compare_optimizers: optimizers compared on the table and the surrogate benchmark.
        compare_repeats: runs per optimizer and benchmark.
        preset: "full" or "quick" (recorded in the report).
    """

    out: Path = Path("runs/demo")
    table: Path | None = None
    dataset: str | None = None
    hp: str | None = None
    signal: str | None = None
    report_metric: str | None = None
    nb201_csv: Path | None = None
    live_cells: int = 3
    live_epochs: int = 2
    data_dir: str | None = None
    seed: int = 0
    surrogate: SurrogateModel = field(default_factory=lambda: demo_surrogate(quick=False))
    surrogate_label: str = "lgb"
    sizes: tuple[int, ...] = (10, 30, 100, 300, 1000, 3000)
    test_size: int = 2000
    leave_out_kinds: tuple[str, ...] = REGION_KINDS
    leave_out_optimizers: tuple[BaseOptimizer, ...] = field(
        default_factory=lambda: tuple(leave_out_defaults())
    )
    leave_out_repeats: int = 2
    max_train: int = 2000
    compare_optimizers: tuple[BaseOptimizer, ...] = field(
        default_factory=lambda: tuple(default_optimizers())
    )
    compare_repeats: int = 5
    preset: str = "full"

    @classmethod
    def full(cls, **overrides: Any) -> DemoConfig:
        """The full demo (``make demo``, a few minutes on 2 CPU cores)."""
        return cls(**overrides)

    @classmethod
    def quick(cls, **overrides: Any) -> DemoConfig:
        """A small demo for CI and tests: 1 live cell of 1 epoch, fewer sizes, regions,
        optimizers and repeats, smaller surrogates."""
        settings: dict[str, Any] = {
            "preset": "quick",
            "live_cells": 1,
            "live_epochs": 1,
            "surrogate": demo_surrogate(quick=True),
            "sizes": (10, 30, 100, 300),
            "test_size": 500,
            "leave_out_kinds": ("op", "top", "random", "optimizer"),
            "leave_out_optimizers": (RandomSearch(), RegularizedEvolution(), LocalSearch()),
            "leave_out_repeats": 1,
            "max_train": 500,
            "compare_optimizers": (
                RandomSearch(),
                RegularizedEvolution(),
                LocalSearch(),
                Hyperband(),
            ),
            "compare_repeats": 2,
        }
        return cls(**{**settings, **overrides})

    def to_dict(self) -> dict[str, Any]:
        """Every setting as text (for ``summary.json``)."""
        return {f.name: str(getattr(self, f.name)) for f in dataclasses.fields(self)}


def _pick_metrics(bench: Benchmark, dataset: str, hp: str) -> tuple[str, str]:
    """(signal metric, report metric): the first accuracy pair the table holds."""
    have = set(bench.metrics(dataset, hp))
    for signal, report in (
        ("valid_acc", "test_acc"),
        ("x-valid_acc", "x-test_acc"),
        ("x-valid_acc", "test_acc"),
        ("test_acc", "test_acc"),
    ):
        if signal in have and report in have:
            return signal, report
    raise SurrogateNBError(f"the table holds no accuracy metric the demo can use: {sorted(have)}")


def _live_build(cfg: DemoConfig, emit: EventHandler) -> dict[str, Any]:
    if cfg.live_cells <= 0:
        return {"not_run": "live_cells = 0"}
    tc = TrainConfig(
        epochs=cfg.live_epochs,
        resolution=16,
        train_subset=256,
        eval_subset=256,
        latency_batches=2,
    )
    folder = Path(cfg.out) / "live-build"
    if folder.exists():
        shutil.rmtree(folder)  # a demo trains live: no resume from an earlier run
    plan = BuildPlan(
        dataset="fashion-mnist",
        out=str(folder / "table"),
        config=tc,
        cells=cfg.live_cells,
        seeds=(777,),
        data_dir=cfg.data_dir,
        engine="fast",
        command=f"snb demo (live build of {cfg.live_cells} cell(s))",
    )
    t0 = time.perf_counter()
    try:
        result = run_build(plan, on_progress=lambda p: emit("build", p))
    except DatasetError as exc:
        return {"not_run": f"Fashion-MNIST not available ({exc})"}
    info: dict[str, Any] = {
        "cells": cfg.live_cells,
        "epochs": cfg.live_epochs,
        "config": tc.to_dict(),
        "seconds": time.perf_counter() - t0,
        "failed": result.failed,
    }
    if result.table:
        b = Benchmark.open(result.table)
        idx, acc = b.to_xy("fashion-mnist", "test_acc")
        times = b.query(idx, "fashion-mnist", "train_time_s")
        info["results"] = [
            {"arch_index": int(i), "test_acc": float(a), "train_time_s": float(t)}
            for i, a, t in zip(idx, acc, times)
        ]
    return info


def run_demo(cfg: DemoConfig, on_event: EventHandler | None = None) -> DemoResult:
    """Run the demo; returns its `DemoResult` (also written to ``<out>/summary.json``).

    Args:
        cfg: what to run (`DemoConfig.quick()` or `DemoConfig.full()`, possibly overridden).
        on_event: progress callback (see `EventHandler`).

    Raises:
        SurrogateNBError: no table given and no committed table found.
    """
    emit = on_event or (lambda kind, payload: None)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}

    def stage(name: str, detail: str) -> float:
        emit("stage", {"name": name, "detail": detail})
        return time.perf_counter()

    def done(name: str, t0: float) -> None:
        timings[name] = time.perf_counter() - t0
        emit("done", {"name": name, "seconds": timings[name]})

    table_path = Path(cfg.table) if cfg.table else default_table_path()
    if table_path is None:
        raise SurrogateNBError(
            f"no committed table found (surrogate_nb/data/tables/{TABLE_NAME}); build one with "
            "`snb build` or pass --table DIR"
        )

    # 1. live build: beside the studies when they use no torch (nothing of it feeds them) ----
    def live_build() -> dict[str, Any]:
        t0 = stage("live build", "training a few Fashion-MNIST cells at very low fidelity")
        info = _live_build(cfg, emit)
        done("live build", t0)
        return info

    beside = cfg.live_cells > 0 and not _uses_torch(cfg.surrogate)
    with ThreadPoolExecutor(1, thread_name_prefix="live-build") as pool:
        live_run = pool.submit(live_build) if beside else None
        live = live_build() if live_run is None else {}
        studies, nb201, facts = _studies(cfg, table_path, stage, done)
        if live_run is not None:
            live = live_run.result()
    dataset, hp, signal, report_metric, idx, Y, seeds, bench = facts
    protocol = bench.manifest.get("protocol", {})
    keys = ("epochs", "resolution", "train_subset", "eval_subset", "batch_size", "lr")

    # 5. the report ---------------------------------------------------------------------------
    t0 = stage("report", "writing report.md")
    result = DemoResult(
        table=table_path,
        committed=cfg.table is None,
        dataset=dataset,
        hp=hp,
        signal=signal,
        report_metric=report_metric,
        cells=len(idx),
        seeds=seeds,
        cells_per_seed_count={
            int(k): int(v)
            for k, v in zip(*np.unique(np.isfinite(Y).sum(axis=1), return_counts=True))
        },
        fidelity={k: protocol[k] for k in keys if k in protocol},
        manifest_fidelity=(bench.manifest.get("datasets", {}).get(dataset) or {}).get("fidelity"),
        seed_agreement=seed_agreement(Y, seeds),
        recorded_tau=recorded_seed_agreement(bench.manifest),
        live_build=live,
        studies=studies,
        nb201_noise=nb201,
        surrogate={"label": cfg.surrogate_label, "model": repr(cfg.surrogate)},
        timings_s=timings,
        config=cfg,
    )
    write_report(out, result, Y)
    done("report", t0)
    (out / "summary.json").write_text(json.dumps(result.to_dict(), indent=1))
    return result


def _uses_torch(surrogate: SurrogateModel) -> bool:
    """Whether fitting `surrogate` runs torch (its global RNG and thread count are shared with
    the live build's training): anything but bagged tree ensembles."""
    return not isinstance(getattr(surrogate, "regressor", None), BaggedTrees)


def _studies(
    cfg: DemoConfig,
    table_path: Path,
    stage: Callable[[str, str], float],
    done: Callable[[str, float], None],
) -> tuple[dict[str, StudyResult | str], StudyResult | None, tuple[Any, ...]]:
    """The studies on the table (and on the NB201 data when given): (studies, NB201 noise
    study, (dataset, hp, signal, report metric, cells, seed matrix, seeds, table))."""
    r_noise, r_leave, r_cmp, r_fit, r_nb = np.random.default_rng(cfg.seed).spawn(5)
    out = Path(cfg.out)

    # 2. the studied table --------------------------------------------------------------------
    bench = Benchmark.open(table_path)
    datasets = bench.datasets()
    dataset = cfg.dataset or ("fashion-mnist" if "fashion-mnist" in datasets else datasets[0])
    hps = bench.hps(dataset)
    hp = cfg.hp or (hps[0] if len(hps) == 1 else sorted(hps, key=int)[-1])
    picked = _pick_metrics(bench, dataset, hp)
    signal = cfg.signal or picked[0]
    report_metric = cfg.report_metric or picked[1]
    idx, _ = bench.to_xy(dataset, signal, hp=hp)
    _, Y, seeds = seed_matrix(bench, dataset, signal, hp)
    surrogates = {cfg.surrogate_label: cfg.surrogate}

    # 3. studies on the table -----------------------------------------------------------------
    studies: dict[str, StudyResult | str] = {}
    if len(seeds) >= 2:
        t0 = stage("noise", "surrogate on one seed vs that seed's table entry")
        try:
            studies["noise"] = noise_study(
                bench,
                dataset,
                signal,
                hp,
                out=out / "noise",
                rng=r_noise,
                surrogates=surrogates,
                sizes=cfg.sizes,
                repeats=1,
                test_size=cfg.test_size,
            )
        except SurrogateNBError as exc:
            studies["noise"] = str(exc)
        done("noise", t0)
    else:
        studies["noise"] = (
            f"the table holds one seed ({seeds}); the noise study needs per-seed labels from at "
            "least two"
        )
    t0 = stage("leave-out", "fit without a region of the space, test on it")
    studies["leave-out"] = leave_out_study(
        bench,
        dataset,
        signal,
        hp,
        out=out / "leave-out",
        rng=r_leave,
        surrogates=surrogates,
        optimizers=cfg.leave_out_optimizers,
        optimizer_repeats=cfg.leave_out_repeats,
        max_train=cfg.max_train,
        kinds=cfg.leave_out_kinds,
    )
    done("leave-out", t0)
    t0 = stage("compare", "optimizers on the table vs on the surrogate benchmark")
    sur = SurrogateBenchmark.from_table(
        bench, dataset, (signal, report_metric), hp, rng=r_fit, surrogate=cfg.surrogate
    )
    studies["compare"] = compare_study(
        bench,
        sur,
        dataset,
        signal,
        hp,
        out=out / "compare",
        rng=r_cmp,
        optimizers=cfg.compare_optimizers,
        repeats=cfg.compare_repeats,
        report_metric=report_metric,
        pool=CellPool(idx, space=bench.space),
        surrogate_label=f"surrogate ({cfg.surrogate_label})",
    )
    done("compare", t0)

    # 4. optional: real NB201 data ------------------------------------------------------------
    nb201 = None
    if cfg.nb201_csv is not None and Path(cfg.nb201_csv).is_file():
        t0 = stage("nb201 noise", "noise study on the published NB201 CIFAR-10 per-run data")
        nb_table = import_wide(
            cfg.nb201_csv, out / "nb201-table", command=f"snb demo: import {cfg.nb201_csv}"
        )
        nb201 = noise_study(
            Benchmark.open(nb_table),
            "cifar10",
            "valid_acc",
            "200",
            out=out / "nb201-noise",
            rng=r_nb,
            surrogates=surrogates,
            sizes=(100, 1000, 5000),
            repeats=1,
            test_size=2000,
        )
        done("nb201 noise", t0)
    return studies, nb201, (dataset, hp, signal, report_metric, idx, Y, seeds, bench)
