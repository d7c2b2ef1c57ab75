"""syne-tune's schedulers vs our optimizers on the table and on the curve surrogate, same budget.

Claim measured: final regret (mean ± s.e. over ``--runs`` runs, default 30) of syne-tune 0.16's
BOHB, ASHA, random search, REA and TPE (through `surrogate_nb.evaluation.hpo`: its
``UserBlackboxBackend`` + ``SimulatorCallback``, one worker) and of our REA, random search and
successive-halving Hyperband (`evaluation.optimizers`), each run on

* the table: the committed Fashion-MNIST table (425 cells × 3 seeds × 12 epochs), and
* the surrogate: a `SurrogateBenchmark` of learning-curve surrogates (`regressors.curve`,
  ``--design`` epoch (default) or svd, LightGBM, fitted on every table cell) for the signal and
  the report metric,

searching the table's 425 cells on both sides. Signal: ``x-valid_acc`` with one random seed per
evaluation (``--signal sample``; the surrogate side draws single-run curves from its noise model);
report: the incumbent's seed-mean ``test_acc``. Regret = best ``test_acc`` over the searchable
cells − the final incumbent's, each side against its own optimum (table means / surrogate means).
Cost model: the table's per-epoch train time × epochs trained (single-fidelity methods train all
12). Budget: ``--budget-x`` × the median full training time of a cell (default 100). Also: wall
seconds per simulated run (what 100 runs cost on this 2-core CPU).

Run: ``.venv/bin/python benchmarks/hpo_compare.py [--runs 30] [--plot docs/hpo_compare.png]``.
Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "surrogate_nb/data/tables/fashion-mnist-lowfi"
DATASET, SIGNAL, REPORT = "fashion-mnist-valid", "x-valid_acc", "test_acc"
METHODS = (
    "random_search",
    "rea",
    "hyperband",
    "st_random_search",
    "st_rea",
    "st_tpe",
    "st_asha",
    "st_bohb",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--table", type=Path, default=TABLE)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--budget-x", type=float, default=100.0)
    parser.add_argument("--signal", choices=("sample", "mean"), default="sample")
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--design", choices=("svd", "epoch"), default="epoch")
    parser.add_argument("--plot", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--surrogate-dir",
        type=Path,
        default=None,
        help="Save the fitted surrogate benchmark here, or load it when present (reruns).",
    )
    args = parser.parse_args()

    from surrogate_nb.evaluation.optimizers import CellPool
    from surrogate_nb.evaluation.runners import evaluations, make_method
    from surrogate_nb.regressors import SurrogateBenchmark
    from surrogate_nb.table import Benchmark

    table = Benchmark.open(args.table)
    idx, _ = table.to_xy(DATASET, SIGNAL)
    pool = CellPool(idx)
    budget = args.budget_x * float(np.nanmedian(table.query(idx, DATASET, "train_time_s")))
    t0 = time.perf_counter()
    cache = args.surrogate_dir
    if cache is not None and (cache / "surrogates.json").is_file():
        from surrogate_nb.regressors import SurrogateBenchmark

        sur = SurrogateBenchmark.load(cache, table=table)
    else:
        sur = SurrogateBenchmark.from_curves(
            table,
            DATASET,
            (SIGNAL, REPORT),
            rng=np.random.default_rng(args.seed),
            design=args.design,
        )
        if cache is not None:
            sur.save(cache)
    for m in (SIGNAL, REPORT):  # predict all 15,625 cells once (memo), outside the run timings
        sur.curve(idx[:1], DATASET, m)
    fit_s = time.perf_counter() - t0
    sides = {"table": table, "surrogate": sur}
    best = {s: float(np.nanmax(b.query(idx, DATASET, REPORT))) for s, b in sides.items()}
    signal_seed = "sample" if args.signal == "sample" else None
    print(
        f"{len(idx)} cells, budget {budget:.0f} s simulated ({args.budget_x:g} median trainings), "
        f"{args.runs} runs, signal {args.signal}; surrogate fit {fit_s:.0f} s; best {REPORT}: "
        + ", ".join(f"{s} {v:.2f}" for s, v in best.items())
    )
    results: dict = {}
    curves: dict = {}
    grid = np.geomspace(budget / 100, budget, 40)
    print(
        f"{'method':18s} {'side':10s} {'regret':>8s} {'s.e.':>6s} {'evals':>7s} "
        f"{'epochs':>7s} {'wall s/run':>10s}"
    )
    for k, method in enumerate(args.methods):
        runner = make_method(method)  # each run starts from fresh state
        for side, bench in sides.items():
            seqs = np.random.SeedSequence([args.seed, k]).spawn(args.runs)  # same on both sides
            regrets, evals, epochs, walls, anytime = [], [], [], [], []
            for seq in seqs:
                t = time.perf_counter()
                traj = runner.run(
                    bench,
                    DATASET,
                    SIGNAL,
                    None,
                    budget,
                    np.random.default_rng(seq),
                    report_metric=REPORT,
                    pool=pool,
                    signal_seed=signal_seed,
                )
                walls.append(time.perf_counter() - t)
                regrets.append(best[side] - traj.final_report)
                evals.append(evaluations(traj))
                # syne-tune: one row per epoch trained; ours and DEHB: one row per evaluation
                # of e epochs (DEHB never resumes a training)
                per_epoch = traj.meta.get("library") == "syne-tune"
                epochs.append(len(traj) if per_epoch else int(np.sum(traj.epochs)))
                anytime.append(best[side] - traj.at(grid))
            r = np.asarray(regrets, float)
            results.setdefault(method, {})[side] = {
                "regret_mean": float(np.nanmean(r)),
                "regret_se": float(np.nanstd(r, ddof=1) / np.sqrt(np.isfinite(r).sum())),
                "evals_mean": float(np.mean(evals)),
                "epochs_mean": float(np.mean(epochs)),
                "wall_s_per_run": float(np.mean(walls)),
            }
            curves.setdefault(method, {})[side] = np.nanmean(np.vstack(anytime), axis=0)
            row = results[method][side]
            print(
                f"{method:18s} {side:10s} {row['regret_mean']:8.3f} {row['regret_se']:6.3f} "
                f"{row['evals_mean']:7.1f} {row['epochs_mean']:7.0f} {row['wall_s_per_run']:10.3f}"
            )
    from scipy.stats import kendalltau

    ms = [m for m in args.methods if all(np.isfinite(results[m][s]["regret_mean"]) for s in sides)]
    tau = (
        float(
            kendalltau(
                [results[m]["table"]["regret_mean"] for m in ms],
                [results[m]["surrogate"]["regret_mean"] for m in ms],
            ).statistic
        )
        if len(ms) >= 3
        else float("nan")
    )
    print(f"Kendall τ between the methods' mean regrets, table vs surrogate: {tau:.3f} ({len(ms)})")
    if args.plot:
        plot(results, curves, grid, args.plot, args.runs)
    print(
        json.dumps(
            {
                "bench": "hpo_compare",
                "machine": "2-core CPU (shared)",
                "runs": args.runs,
                "budget_s": budget,
                "signal": args.signal,
                "surrogate_fit_s": round(fit_s, 1),
                "kendall_tau_table_vs_surrogate": tau,
                "results": results,
            }
        )
    )


def plot(results: dict, curves: dict, grid: np.ndarray, path: Path, runs: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = list(results)
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(13, 4.4))
    x = np.arange(len(methods))
    for k, (side, color) in enumerate((("table", "tab:blue"), ("surrogate", "tab:orange"))):
        m = [results[o][side]["regret_mean"] for o in methods]
        se = [results[o][side]["regret_se"] for o in methods]
        ax.bar(x + (k - 0.5) * 0.4, m, 0.4, yerr=se, color=color, alpha=0.8, label=side, capsize=3)
    ax.set_xticks(x, methods, rotation=30, ha="right")
    ax.set_ylabel("final regret, test acc. points (mean ± s.e.)")
    ax.set_title(f"Final regret over {runs} runs: table vs curve surrogate")
    ax.legend()
    for i, o in enumerate(methods):
        style = "--" if o.startswith("st_") else "-"
        ax2.plot(grid, curves[o]["table"], style, color=plt.cm.tab10(i % 10), label=o)
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlabel("simulated training time (s)")
    ax2.set_ylabel("mean regret on the table (log)")
    ax2.set_title("Anytime regret on the table (dashed: syne-tune)")
    ax2.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
