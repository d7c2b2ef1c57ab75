"""The runs of `snb study optimizers` on NB-101, in worker processes, saved as they finish.

Same benchmark and seeds as ``snb study optimizers -t TABLE --space nb101 --hp 108 --budget B
--seed S`` (`surrogate_nb.evaluation.studies.optimizers.study_benchmark`, which the CLI calls,
fits the LightGBM surrogates with the same random streams; run r of every method uses child r
of the same generator), so the runs here are the CLI's runs r = 0..N-1 of the named methods.
For slow methods (SMAC3: about a minute per run on a 2-core CPU) it runs them in `--workers`
forked processes sharing the memoised surrogate, and appends each finished run to
``OUT/runs.jsonl`` (a killed job keeps what finished; re-running skips the runs already there).
It then prints final regret (mean ± s.e., median, sd), evaluations and wall seconds per run, a
one-sided Mann-Whitney verdict against random search, writes ``OUT/regret.png`` (mean regret
± 1 s.e. vs simulated time, log-log) and ends with a JSON line.

    python benchmarks/nb101_optimizer_runs.py --table runs/nb101 --methods random_search rea \
        st_smac --runs 30 --budget 2e5 --workers 2 --out runs/nb101-smac

Measured figures: see docs/notes (hpo helper note) and README's NB-101 section.
"""

from __future__ import annotations

import argparse
import copy
import json
import multiprocessing as mp
import time
from pathlib import Path

import numpy as np

_STATE: dict = {}


def _run(task: tuple[str, int]) -> dict:
    from surrogate_nb.evaluation.runners import evaluations, make_method

    name, r = task
    s = _STATE
    t0 = time.perf_counter()
    traj = make_method(name).run(
        s["bench"],
        s["dataset"],
        s["metric"],
        s["hp"],
        s["budget"],
        copy.deepcopy(s["children"][r]),
        report_metric=s["metric"],
        pool=None,
        signal_seed=None,
    )
    return {
        "method": name,
        "run": r,
        "seconds": time.perf_counter() - t0,
        "final_regret": s["optimum"] - traj.final_report,
        "evaluations": evaluations(traj),
        "invalid": traj.meta.get("invalid", 0),
        "time_s": list(map(float, traj.time_s)),
        "incumbent_report": list(map(float, traj.incumbent_report)),
    }


def _summary(rows: list[dict], methods: list[str]) -> list[dict]:
    from scipy.stats import mannwhitneyu

    out = []
    base = np.array([r["final_regret"] for r in rows if r["method"] == "random_search"])
    for m in methods:
        f = np.array([r["final_regret"] for r in rows if r["method"] == m])
        if not len(f):
            continue
        row = {
            "method": m,
            "runs": len(f),
            "mean": float(f.mean()),
            "se": float(f.std(ddof=1) / np.sqrt(len(f))) if len(f) > 1 else float("nan"),
            "median": float(np.median(f)),
            "sd": float(f.std(ddof=1)) if len(f) > 1 else float("nan"),
            "evaluations": float(np.mean([r["evaluations"] for r in rows if r["method"] == m])),
            "s_per_run": float(np.mean([r["seconds"] for r in rows if r["method"] == m])),
        }
        if m != "random_search" and len(f) >= 3 and len(base) >= 3:
            row["p_vs_rs"] = float(mannwhitneyu(f, base, alternative="less").pvalue)
        out.append(row)
    return out


def _plot(rows: list[dict], methods: list[str], optimum: float, budget: float, path: Path):
    from surrogate_nb.evaluation.report import PALETTE, pyplot

    plt = pyplot()
    grid = np.geomspace(budget / 1000, budget, 120)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for k, m in enumerate(methods):
        runs = [r for r in rows if r["method"] == m]
        if not runs:
            continue
        reg = []
        for r in runs:
            t, v = np.asarray(r["time_s"]), np.asarray(r["incumbent_report"])
            pos = np.searchsorted(t, grid, side="right") - 1
            reg.append(np.where(pos >= 0, optimum - v[np.maximum(pos, 0)], np.nan))
        reg = np.vstack(reg)
        ok = np.isfinite(reg).all(axis=0)
        mean = reg[:, ok].mean(axis=0)
        se = reg[:, ok].std(axis=0, ddof=1) / np.sqrt(len(runs)) if len(runs) > 1 else 0 * mean
        color = PALETTE[k % len(PALETTE)]
        ax.plot(grid[ok], mean, color=color, label=f"{m} ({len(runs)} runs)")
        ax.fill_between(grid[ok], mean - se, mean + se, color=color, alpha=0.2)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("simulated training time (s)")
    ax.set_ylabel("regret of valid_acc (points)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", required=True)
    ap.add_argument("--dataset", default="cifar10")
    ap.add_argument("--metric", default="valid_acc")
    ap.add_argument("--hp", default="108")
    ap.add_argument("--methods", nargs="+", required=True)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--budget", type=float, default=2e5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()

    from surrogate_nb.evaluation.runners import is_multi_fidelity
    from surrogate_nb.evaluation.studies.optimizers import space_optimum, study_benchmark
    from surrogate_nb.table import Benchmark

    args.out.mkdir(parents=True, exist_ok=True)
    log = args.out / "runs.jsonl"
    done = []
    if log.is_file():
        done = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    have = {(r["method"], r["run"]) for r in done}
    t0 = time.perf_counter()
    table = Benchmark.open(args.table)
    fit_rng, run_rng = np.random.default_rng(args.seed).spawn(2)
    multi = any(is_multi_fidelity(m) for m in args.methods)
    bench, hp = study_benchmark(
        table, args.dataset, args.metric, args.hp, "lgb", multi=multi, rng=fit_rng
    )
    # study_benchmark built every surrogate's memo of all cells: forked workers then only look
    # values up (LightGBM's OpenMP deadlocks in a forked child)
    optimum = space_optimum(bench, args.dataset, args.metric, hp)
    print(f"surrogate benchmark ready in {time.perf_counter() - t0:.0f} s; optimum {optimum:.3f}")
    _STATE.update(
        bench=bench,
        dataset=args.dataset,
        metric=args.metric,
        hp=hp,
        budget=args.budget,
        children=run_rng.spawn(args.runs),
        optimum=optimum,
    )
    tasks = [(m, r) for r in range(args.runs) for m in args.methods if (m, r) not in have]
    with mp.get_context("fork").Pool(args.workers) as pool, log.open("a") as fh:
        for row in pool.imap_unordered(_run, tasks):
            fh.write(json.dumps(row) + "\n")
            fh.flush()
            done.append(row)
            print(
                f"{row['method']} run {row['run']}: regret {row['final_regret']:.3f}, "
                f"{row['seconds']:.0f} s",
                flush=True,
            )
    rows = _summary(done, args.methods)
    print(
        f"{'method':>16} {'runs':>5} {'final regret':>18} {'median':>7} {'sd':>6} "
        f"{'evals':>6} {'s/run':>6} p(vs RS)"
    )
    for r in rows:
        print(
            f"{r['method']:>16} {r['runs']:>5} {r['mean']:>9.3f} ± {r['se']:<6.3f} "
            f"{r['median']:>7.3f} {r['sd']:>6.3f} {r['evaluations']:>6.0f} "
            f"{r['s_per_run']:>6.1f} {r.get('p_vs_rs', float('nan')):.2g}"
        )
    _plot(done, args.methods, optimum, args.budget, args.out / "regret.png")
    print(json.dumps({"optimum": optimum, "budget_s": args.budget, "rows": rows}))


if __name__ == "__main__":
    main()
