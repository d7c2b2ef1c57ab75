"""The end-to-end demo behind `snb demo` / `make demo` (< 10 minutes on a 2-core CPU).

1. **Live build**: trains a few Fashion-MNIST cells at a very low fidelity through the exhaustive
   build API (`run_build`), to show the pipeline working; its numbers are not used for anything.
2. **Committed table**: opens the table the project's own `snb build` produced
   (`default_table_path()`: ``surrogate_nb/data/tables/fashion-mnist-lowfi``), states how many
   cells it holds, at which fidelity, and its seed-to-seed agreement (Kendall τ between seeds),
   fits surrogates, and runs the `noise`, `leave-out` and `compare` studies on it.
3. **Real NB201 data** (optional, full mode only): when ``../shared/nb201`` exists next to the
   checkout, the noise study also runs on the published CIFAR-10 per-run validation accuracies
   (imported with the wide-table importer into the run folder, never into the project).

Everything is written under `out` (default ``runs/demo``): ``report.md`` (headline plot first),
its PNGs and ``figures.json``, and one sub-folder per study with its own report. Library code
never prints: progress goes to the `on_event` callback (the CLI draws progress bars from it).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from surrogate_nb.errors import DatasetError, SurrogateNBError

#: Where the committed low-fidelity Fashion-MNIST table lives, relative to the package / repo.
TABLE_NAME = "fashion-mnist-lowfi"
#: The published NB201 reference CSV, next to a checkout (absent in a user's fresh clone).
NB201_CSV = (
    Path(__file__).resolve().parents[1].parent / "shared" / "nb201" / "nb201_reference_cifar.csv"
)

#: Callback receiving (event, payload): ("stage", {"name", "detail"}), ("build", Progress),
#: ("done", {"name", "seconds"}).
EventHandler = Callable[[str, Any], None]


def default_table_path() -> Path | None:
    """The committed table: ``surrogate_nb/data/tables/fashion-mnist-lowfi`` (package data), or
    ``data/tables/fashion-mnist-lowfi`` in the repository; None when neither exists."""
    import surrogate_nb

    pkg = Path(surrogate_nb.__file__).resolve().parent
    for root in (pkg / "data" / "tables", pkg.parent / "data" / "tables"):
        path = root / TABLE_NAME
        if (path / "manifest.json").is_file():
            return path
    return None


@dataclass(frozen=True)
class DemoConfig:
    """What the demo does.

    Attributes:
        out: output folder (report.md and sub-reports).
        table: table to study; None = `default_table_path()`.
        quick: smaller everything (CI / tests): 1 live cell, 1 repeat, fewer models and sizes.
        live_cells: cells trained live (0 = skip the live build).
        live_epochs: epochs of each live trial.
        data_dir: Fashion-MNIST folder; None = the build's default (/usr/share/datasets/...).
        seed: master seed of every random choice.
        nb201: also run the noise study on ../shared/nb201 when present (full mode only).
        model: surrogate model used in the studies.
    """

    out: Path = Path("runs/demo")
    table: Path | None = None
    quick: bool = False
    live_cells: int | None = None
    live_epochs: int | None = None
    data_dir: str | None = None
    seed: int = 0
    nb201: bool = True
    model: str = "lgb"
    extra: dict[str, Any] = field(default_factory=dict)


def _params(quick: bool) -> dict[str, Any]:
    """Small, fast surrogate settings (the demo's CPU budget), recorded in the report."""
    return {"n_members": 3, "n_estimators": 120 if quick else 300}


def _pick_metrics(bench: Any, dataset: str, hp: str | None) -> tuple[str, str]:
    """(signal metric, report metric) from what the table holds."""
    have = set(bench.metrics(dataset, hp) if hp is not None else bench.metrics(dataset))
    for signal, report in (
        ("valid_acc", "test_acc"),
        ("x-valid_acc", "x-test_acc"),
        ("x-valid_acc", "test_acc"),
        ("test_acc", "test_acc"),
    ):
        if signal in have and report in have:
            return signal, report
    raise SurrogateNBError(f"the table holds no accuracy metric the demo can use: {sorted(have)}")


def _find_key(obj: Any, needle: str) -> list[tuple[str, Any]]:
    """(dotted key, value) of every manifest entry whose key contains `needle`."""
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if needle in str(k).lower() and not isinstance(v, (dict, list)):
                out.append((str(k), v))
            for kk, vv in _find_key(v, needle):
                out.append((f"{k}.{kk}", vv))
    return out


def _live_build(cfg: DemoConfig, out: Path, emit: EventHandler) -> dict[str, Any]:
    from surrogate_nb.exhaustive import BuildPlan, TrainConfig, run_build
    from surrogate_nb.table import Benchmark

    cells = cfg.live_cells if cfg.live_cells is not None else (1 if cfg.quick else 3)
    epochs = cfg.live_epochs if cfg.live_epochs is not None else (1 if cfg.quick else 2)
    if cells <= 0:
        return {"not_run": "live_cells = 0"}
    tc = TrainConfig(
        epochs=epochs,
        resolution=16,
        train_subset=256,
        eval_subset=256,
        latency_batches=2,
    )
    folder = out / "live-build"
    if folder.exists():
        shutil.rmtree(folder)  # a demo trains live: no resume from an earlier run
    plan = BuildPlan(
        dataset="fashion-mnist",
        out=str(folder / "table"),
        config=tc,
        cells=cells,
        seeds=(777,),
        data_dir=cfg.data_dir,
        engine="fast",
        command=f"snb demo (live build of {cells} cell(s))",
    )
    t0 = time.perf_counter()
    try:
        result = run_build(plan, on_progress=lambda p: emit("build", p))
    except DatasetError as exc:
        return {"not_run": f"Fashion-MNIST not available ({exc})"}
    info: dict[str, Any] = {
        "cells": cells,
        "epochs": epochs,
        "config": tc.to_dict(),
        "seconds": time.perf_counter() - t0,
        "failed": result.failed,
    }
    if result.table:
        b = Benchmark.open(result.table)
        idx, acc = b.to_xy("fashion-mnist", "test_acc")
        info["results"] = [
            {
                "arch_index": int(i),
                "test_acc": float(a),
                "train_time_s": float(b.query(int(i), "fashion-mnist", "train_time_s")),
            }
            for i, a in zip(idx, acc)
        ]
    return info


def run_demo(
    cfg: DemoConfig,
    on_event: EventHandler | None = None,
    *,
    make_surrogate: Callable[[str], Any] | None = None,
) -> dict[str, Any]:
    """Run the demo; returns its summary (also written to ``<out>/summary.json``).

    Args:
        cfg: what to run.
        on_event: progress callback (see `EventHandler`).
        make_surrogate: factory model name -> unfitted surrogate (default: `Surrogate` with the
            demo's small settings); tests pass a fast stand-in.

    Raises:
        SurrogateNBError: no table given and no committed table found.
    """
    from surrogate_nb.evaluation.optimizers import CellPool
    from surrogate_nb.evaluation.studies import (
        compare_study,
        leave_out_study,
        noise_study,
    )
    from surrogate_nb.evaluation.studies._common import seed_matrix
    from surrogate_nb.evaluation.studies.leave_out import REGION_KINDS
    from surrogate_nb.ranking import seed_agreement
    from surrogate_nb.regressors import Surrogate, SurrogateBenchmark
    from surrogate_nb.table import Benchmark

    emit = on_event or (lambda kind, payload: None)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(cfg.seed)
    r_noise, r_leave, r_cmp, r_fit, r_nb = rng.spawn(5)
    timings: dict[str, float] = {}
    params = _params(cfg.quick)

    if make_surrogate is None:

        def make_surrogate(model: str) -> Surrogate:
            return Surrogate(model, params=params)

    def stage(name: str, detail: str) -> float:
        emit("stage", {"name": name, "detail": detail})
        return time.perf_counter()

    def done(name: str, t0: float) -> None:
        timings[name] = time.perf_counter() - t0
        emit("done", {"name": name, "seconds": timings[name]})

    table_path = Path(cfg.table) if cfg.table else default_table_path()
    if table_path is None:
        raise SurrogateNBError(
            f"no committed table found (looked for surrogate_nb/data/tables/{TABLE_NAME} and "
            f"data/tables/{TABLE_NAME}); build one with `snb build` or pass --table DIR"
        )

    # 1. live build ---------------------------------------------------------------------------
    t0 = stage("live build", "training a few Fashion-MNIST cells at very low fidelity")
    live = _live_build(cfg, out, emit)
    done("live build", t0)

    # 2. the committed table ------------------------------------------------------------------
    bench = Benchmark.open(table_path)
    datasets = bench.datasets()
    dataset = "fashion-mnist" if "fashion-mnist" in datasets else datasets[0]
    hps = bench.hps(dataset)
    hp = hps[0] if len(hps) == 1 else sorted(hps, key=int)[-1]
    signal, report_metric = _pick_metrics(bench, dataset, hp)
    idx, _ = bench.to_xy(dataset, signal, hp=hp)
    _, Y, seeds = seed_matrix(bench, dataset, signal, hp)
    agreement = seed_agreement(Y, seeds).to_dict()
    protocol = bench.manifest.get("protocol", {})
    fidelity = {
        k: protocol.get(k)
        for k in ("epochs", "resolution", "train_subset", "eval_subset", "batch_size", "lr")
        if k in protocol
    }
    recorded_tau = _find_key(bench.manifest, "tau")

    # 3. studies on the table -----------------------------------------------------------------
    studies: dict[str, Any] = {}
    sizes = (10, 30, 100, 300) if cfg.quick else (10, 30, 100, 300, 1000, 3000)
    models = (cfg.model,)
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
                models=models,
                sizes=sizes,
                repeats=1,
                test_size=500 if cfg.quick else 2000,
                make_surrogate=make_surrogate,
            )
        except SurrogateNBError as exc:
            studies["noise"] = {"not_run": str(exc)}
        done("noise", t0)
    else:
        studies["noise"] = {
            "not_run": f"the table holds one seed ({seeds}); the noise study "
            "needs per-seed labels from at least two"
        }
    t0 = stage("leave-out", "fit without a region of the space, test on it")
    studies["leave-out"] = leave_out_study(
        bench,
        dataset,
        signal,
        hp,
        out=out / "leave-out",
        rng=r_leave,
        models=models,
        optimizers=("random_search", "rea", "local_search")
        if cfg.quick
        else ("random_search", "rea", "reinforce", "local_search"),
        optimizer_repeats=1 if cfg.quick else 2,
        max_train=500 if cfg.quick else 2000,
        make_surrogate=make_surrogate,
        kinds=("op", "top", "random", "optimizer") if cfg.quick else REGION_KINDS,
    )
    done("leave-out", t0)
    t0 = stage("compare", "optimizers on the table vs on the surrogate benchmark")
    surrogates = {}
    for m in dict.fromkeys((signal, report_metric)):
        cells_m, y_m = bench.to_xy(dataset, m, hp=hp)
        surrogates[(dataset, m, hp)] = make_surrogate(cfg.model).fit(cells_m, y_m, rng=r_fit)
    sur = SurrogateBenchmark(surrogates, table=bench)
    studies["compare"] = compare_study(
        bench,
        sur,
        dataset,
        signal,
        hp,
        out=out / "compare",
        rng=r_cmp,
        optimizers=("random_search", "rea", "local_search", "hyperband")
        if cfg.quick
        else ("random_search", "rea", "reinforce", "local_search", "tpe", "hyperband"),
        repeats=2 if cfg.quick else 5,
        report_metric=report_metric,
        pool=CellPool(idx),
        surrogate_label=f"surrogate ({cfg.model})",
    )
    done("compare", t0)

    # 4. optional: real NB201 data ------------------------------------------------------------
    nb201: dict[str, Any] = {}
    if cfg.nb201 and not cfg.quick and NB201_CSV.is_file():
        t0 = stage("nb201 noise", "noise study on the published NB201 CIFAR-10 per-run data")
        from surrogate_nb.table.importers.wide import import_wide

        nb_table = import_wide(
            NB201_CSV, out / "nb201-table", command="snb demo: import ../shared/nb201 reference CSV"
        )
        nb = Benchmark.open(nb_table)
        nb201 = noise_study(
            nb,
            "cifar10",
            "valid_acc",
            "200",
            out=out / "nb201-noise",
            rng=r_nb,
            models=models,
            sizes=(100, 1000, 5000),
            repeats=1,
            test_size=2000,
            make_surrogate=make_surrogate,
        )
        done("nb201 noise", t0)

    # 5. the report ---------------------------------------------------------------------------
    t0 = stage("report", "writing report.md")
    summary = {
        "table": str(table_path),
        "committed": cfg.table is None,
        "manifest_fidelity": (bench.manifest.get("datasets", {}).get(dataset) or {}).get(
            "fidelity"
        ),
        "dataset": dataset,
        "hp": hp,
        "signal": signal,
        "report_metric": report_metric,
        "cells": len(idx),
        "seeds": seeds,
        "cells_per_seed_count": {
            int(k): int(v)
            for k, v in zip(*np.unique(np.isfinite(Y).sum(axis=1), return_counts=True))
        },
        "fidelity": fidelity,
        "seed_agreement": agreement,
        "recorded_tau": recorded_tau,
        "live_build": live,
        "surrogate": {"model": cfg.model, "params": params},
        "studies": {k: _brief(k, v) for k, v in studies.items()},
        "nb201_noise": _brief("noise", nb201) if nb201 else None,
        "timings_s": timings,
        "config": {k: str(v) for k, v in asdict(cfg).items()},
    }
    _write_report(out, summary, studies, nb201, bench, dataset, signal, hp, Y, seeds)
    done("report", t0)
    summary["timings_s"] = timings
    (out / "summary.json").write_text(json.dumps(_json(summary), indent=1))
    return summary


def _below_protocol(fid: dict[str, Any]) -> bool:
    """True when a recorded fidelity is cheaper than NB201's 200-epoch protocol."""
    epochs = fid.get("epochs")
    return bool(
        (epochs is not None and int(epochs) < 200)
        or fid.get("train_subset")
        or fid.get("eval_subset")
        or (fid.get("resolution") is not None and int(fid["resolution"]) < 32)
    )


def _json(x: Any) -> Any:
    from surrogate_nb.evaluation.report import jsonable

    return jsonable(x)


def _brief(kind: str, s: dict[str, Any]) -> dict[str, Any]:
    """The headline numbers of a study summary."""
    if not s or "not_run" in s:
        return s
    if kind == "noise":
        return {"verdict": s["verdict"], "table": s["table"], "seed_agreement": s["seed_agreement"]}
    if kind == "compare":
        return {
            "means": s["means"],
            "rank_agreement": s["rank_agreement"],
            "budget_s": s["budget_s"],
            "skipped": s["skipped"],
        }
    if kind == "leave-out":
        return {
            "rows": [
                {
                    k: r[k]
                    for k in ("region", "model", "n_train", "n_test", "kendall_tau", "r2", "rmse")
                }
                for r in s["rows"]
            ]
        }
    return {}


def _write_report(out, summary, studies, nb201, bench, dataset, signal, hp, Y, seeds) -> None:
    from surrogate_nb.evaluation.report import Report

    rep = Report(out, "surrogate-nb demo report")
    noise = studies.get("noise", {})
    headline = (
        "noise/noise_mae.png" if noise and "not_run" not in noise else "compare/compare_anytime.png"
    )
    cap = (
        "NB301's noise claim on the studied table: MAE against the mean of the other seeds "
        "for a surrogate fitted on one seed's labels vs that seed's table entry."
        if headline.startswith("noise")
        else "Anytime performance of NAS optimizers on the studied table vs on the surrogate."
    )
    shutil.copyfile(out / headline, out / "headline.png")
    fid = summary["fidelity"]
    tau = summary["seed_agreement"]["seed_to_seed_kendall_tau"]
    n_all = 15_625
    label = "Committed table" if summary["committed"] else "Table (given with --table)"
    rep.text(f"![headline](headline.png)\n\n*Headline ({headline}). {cap}*")
    rep.heading("What data this report uses")
    lines = [
        f"- **{label}** `{summary['table']}` — dataset `{dataset}`, hp `{hp}`: "
        f"**{summary['cells']:,} of {n_all:,} cells** ({100 * summary['cells'] / n_all:.1f}%) hold "
        f"`{signal}`; this is a PARTIAL table"
        if summary["cells"] < n_all
        else f"- **{label}** `{summary['table']}` — all {n_all:,} cells",
        f"- Seeds: {seeds}; cells by number of seeds: {summary['cells_per_seed_count']}.",
        "- Fidelity (table manifest `protocol`): "
        + (", ".join(f"{k} = {v}" for k, v in fid.items()) if fid else "not recorded")
        + (
            " — below NB201's protocol (200 epochs, full training set, native resolution), so "
            "rankings at this fidelity are not NB201's 200-epoch rankings."
            if _below_protocol(fid)
            else "."
        ),
        f"- **Seed-to-seed agreement** of this fidelity: Kendall τ = {tau:.3f} between seeds "
        f"(mean over {len(summary['seed_agreement']['pairs'])} seed pair(s), computed from the "
        "table)"
        if np.isfinite(tau)
        else "- Seed-to-seed agreement: not measurable from this table (fewer than two seeds "
        "per cell)",
    ]
    if summary["manifest_fidelity"]:
        lines.append(f"- Fidelity note in the table manifest: {summary['manifest_fidelity']}")
    if summary["recorded_tau"]:
        lines.append(
            "- Recorded in the manifest: "
            + ", ".join(f"`{k}` = {v}" for k, v in summary["recorded_tau"])
        )
    lines.append(
        f"- Surrogate in the studies: `{summary['surrogate']['model']}` with "
        f"{summary['surrogate']['params']} (small settings for a CPU demo)."
    )
    rep.text("\n".join(lines))
    pairs = summary["seed_agreement"]["pairs"]
    if pairs:
        best = max(pairs, key=lambda p: p["cells"])  # the seed pair sharing the most cells
        ia, ib = best["col_a"], best["col_b"]
        ok = np.isfinite(Y[:, ia]) & np.isfinite(Y[:, ib])
        a, b = Y[ok, ia], Y[ok, ib]

        def draw(fig):
            ax = fig.add_subplot()
            ax.scatter(a, b, s=6, alpha=0.5)
            lo, hi = min(a.min(), b.min()), max(a.max(), b.max())
            ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="y = x")
            ax.set_xlabel(f"{signal} (%), seed {seeds[ia]}")
            ax.set_ylabel(f"{signal} (%), seed {seeds[ib]}")
            ax.set_title(
                f"Seeds {seeds[ia]} vs {seeds[ib]}: Kendall τ = {best['tau']:.2f}, "
                f"{int(ok.sum())} cells"
            )
            ax.legend()

        rep.figure(
            "seed_agreement",
            draw,
            {"seed_a": seeds[ia], "seed_b": seeds[ib], "a": a, "b": b, "tau": best["tau"]},
            f"Each cell's final `{signal}` under the two training seeds of the studied table "
            "that share the most cells.",
            size=(5.0, 4.5),
        )
    live = summary["live_build"]
    rep.heading("1. Live build")
    if "not_run" in live:
        rep.text(f"Not run: {live['not_run']}.")
    else:
        c = live["config"]
        rep.text(
            f"Trained {live['cells']} cell(s) live with `run_build` in {live['seconds']:.0f} s: "
            f"{live['epochs']} epoch(s), {c['resolution']}×{c['resolution']} images, first "
            f"{c['train_subset']} training images, seed 777. A pipeline demonstration only — this "
            "fidelity is far too low for its numbers to mean anything."
        )
        rep.table(live.get("results", []), floatfmt=".2f")
    rep.heading("2. Studies on the table")
    for name, title in (
        ("noise", "Noise: surrogate vs single-seed table"),
        ("leave-out", "Leave-region-out"),
        ("compare", "Optimizers: table vs surrogate"),
    ):
        s = studies.get(name, {})
        rep.heading(title, 3)
        if "not_run" in s:
            rep.text(f"Not run: {s['not_run']}.")
            continue
        rep.text(f"Full report: [{name}/report.md]({name}/report.md).")
        if name == "noise":
            rep.text("**Verdict.** " + s["verdict"])
            rep.text("![noise_kendall_tau](noise/noise_kendall_tau.png)")
        elif name == "leave-out":
            rep.text(
                "![leave_out](leave-out/leave_out_kendall_tau.png)\n\n"
                "![edge_op](leave-out/leave_out_edge_op.png)"
            )
        else:
            ra = s["rank_agreement"]
            rep.text(
                f"Rank agreement between the two optimizer orderings: Kendall τ = "
                f"{ra['kendall_tau']:.2f}, Spearman ρ = {ra['spearman']:.2f} "
                f"({ra['n']} optimizers). Budget {s['budget_s']:,.0f} simulated seconds."
            )
            rep.text(
                "![anytime](compare/compare_anytime.png)\n\n![final](compare/compare_final.png)"
            )
    if nb201:
        rep.heading("3. Real NB201 data (../shared/nb201, CIFAR-10)")
        rep.text(
            "Data: the published NB201 per-run 200-epoch validation accuracies of the "
            "cifar10-valid split (2–3 runs per cell), imported with the wide-table importer. "
            f"Seed-to-seed Kendall τ: {nb201['seed_agreement']['seed_to_seed_kendall_tau']:.3f}. "
            "Full report: [nb201-noise/report.md](nb201-noise/report.md).\n\n"
            f"**Verdict.** {nb201['verdict']}\n\n![nb201](nb201-noise/noise_mae.png)"
        )
    rep.heading("Timings")
    rep.table([{"stage": k, "seconds": v} for k, v in summary["timings_s"].items()], floatfmt=".1f")
    rep.summary = summary
    rep.write()
