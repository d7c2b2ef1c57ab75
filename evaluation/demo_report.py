"""The demo's result and its report: `DemoResult` (what `run_demo` found, ``summary.json``) and
`write_report` (``report.md``: headline plot, the data statement, one section per study)."""

from __future__ import annotations

import dataclasses
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from surrogate_nb.errors import SurrogateNBError
from surrogate_nb.evaluation.report import Report, jsonable
from surrogate_nb.evaluation.studies import NoiseResult, StudyResult
from surrogate_nb.ranking import SeedAgreement
from surrogate_nb.space import NUM_ARCHS

if TYPE_CHECKING:  # pragma: no cover
    from surrogate_nb.evaluation.demo import DemoConfig


@dataclass
class DemoResult:
    """What the demo found (also ``summary.json``).

    Attributes:
        table: the studied table; committed: whether it is the committed one.
        dataset, hp, signal, report_metric: what was studied.
        cells: cells with a value for `signal`; seeds: the table's seeds.
        cells_per_seed_count: {number of seeds: cells with that many}.
        fidelity: the table manifest's protocol entries (epochs, resolution, subsets, ...).
        manifest_fidelity: the manifest's fidelity note for the dataset, if any.
        seed_agreement: seed-to-seed Kendall τ computed from the table.
        recorded_tau: the one recorded in the manifest (None when absent).
        live_build: the live build's facts (or {"not_run": why}).
        studies: {"noise" | "leave-out" | "compare": result, or a reason it did not run}.
        nb201_noise: the noise study on the NB201 reference data, when run.
        surrogate: label and description of the surrogate the studies fitted.
        timings_s: seconds per stage.
        config: the `DemoConfig`.
    """

    table: Path
    committed: bool
    dataset: str
    hp: str
    signal: str
    report_metric: str
    cells: int
    seeds: list[int]
    cells_per_seed_count: dict[int, int]
    fidelity: dict[str, Any]
    manifest_fidelity: Any
    seed_agreement: SeedAgreement
    recorded_tau: float | None
    live_build: dict[str, Any]
    studies: dict[str, StudyResult | str]
    nb201_noise: NoiseResult | None
    surrogate: dict[str, str]
    timings_s: dict[str, float]
    config: DemoConfig

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: studies as their `brief`, a study that did not run as {"not_run": why}."""

        def brief(s: StudyResult | str | None) -> Any:
            if s is None or isinstance(s, str):
                return None if s is None else {"not_run": s}
            return s.brief()

        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out.update(
            table=str(self.table),
            seed_agreement=self.seed_agreement.to_dict(),
            studies={k: brief(v) for k, v in self.studies.items()},
            nb201_noise=brief(self.nb201_noise),
            config=self.config.to_dict(),
        )
        return jsonable(out)


def _below_protocol(fid: dict[str, Any]) -> bool:
    """True when a recorded fidelity is cheaper than NB201's 200-epoch protocol."""
    epochs = fid.get("epochs")
    return bool(
        (epochs is not None and int(epochs) < 200)
        or fid.get("train_subset")
        or fid.get("eval_subset")
        or (fid.get("resolution") is not None and int(fid["resolution"]) < 32)
    )


def _data_lines(r: DemoResult) -> list[str]:
    """The "What data this report uses" bullet points."""
    fid, tau = r.fidelity, r.seed_agreement.seed_to_seed_kendall_tau
    label = "Committed table" if r.committed else "Table (given with --table)"
    lines = [
        f"- **{label}** `{r.table}` — dataset `{r.dataset}`, hp `{r.hp}`: "
        f"**{r.cells:,} of {NUM_ARCHS:,} cells** ({100 * r.cells / NUM_ARCHS:.1f}%) hold "
        f"`{r.signal}`; this is a PARTIAL table"
        if r.cells < NUM_ARCHS
        else f"- **{label}** `{r.table}` — all {NUM_ARCHS:,} cells",
        f"- Seeds: {r.seeds}; cells by number of seeds: {r.cells_per_seed_count}.",
        "- Fidelity (table manifest `protocol`): "
        + (", ".join(f"{k} = {v}" for k, v in fid.items()) if fid else "not recorded")
        + (
            " — below NB201's protocol (200 epochs, full training set, native resolution), so "
            "rankings at this fidelity are not NB201's 200-epoch rankings."
            if _below_protocol(fid)
            else "."
        ),
        f"- **Seed-to-seed agreement** of this fidelity: Kendall τ = {tau:.3f} between seeds "
        f"(mean over {len(r.seed_agreement.pairs)} seed pair(s), computed from the table)"
        if np.isfinite(tau)
        else "- Seed-to-seed agreement: not measurable from this table (fewer than two seeds "
        "per cell)",
    ]
    if r.manifest_fidelity:
        lines.append(f"- Fidelity note in the table manifest: {r.manifest_fidelity}")
    if r.recorded_tau is not None:
        lines.append(f"- Recorded in the manifest: seed-to-seed Kendall τ = {r.recorded_tau:.3f}")
    lines.append(
        f"- Surrogate in the studies: `{r.surrogate['label']}`, {r.surrogate['model']} "
        "(small settings for a CPU demo)."
    )
    return lines


def write_report(out: Path, r: DemoResult, Y: np.ndarray) -> Path:
    """Write ``<out>/report.md`` for `r`; `Y` is the table's (cells, seeds) signal matrix."""
    rep = Report(out, "surrogate-nb demo report")
    noise = r.studies.get("noise")
    lead = noise if isinstance(noise, StudyResult) else r.studies["compare"]
    if not isinstance(lead, StudyResult):  # pragma: no cover - compare always runs
        raise SurrogateNBError("the demo's compare study did not run")
    headline = f"{lead.out.name}/{lead.headline}.png"
    cap = (
        "NB301's noise claim on the studied table: MAE against the mean of the other seeds "
        "for a surrogate fitted on one seed's labels vs that seed's table entry."
        if lead is noise
        else "Anytime performance of NAS optimizers on the studied table vs on the surrogate."
    )
    shutil.copyfile(out / headline, out / "headline.png")
    rep.text(f"![headline](headline.png)\n\n*Headline ({headline}). {cap}*")
    rep.heading("What data this report uses")
    rep.text("\n".join(_data_lines(r)))
    pairs = r.seed_agreement.pairs
    if pairs:
        best = max(pairs, key=lambda p: p.cells)  # the seed pair sharing the most cells
        ok = np.isfinite(Y[:, best.col_a]) & np.isfinite(Y[:, best.col_b])
        a, b = Y[ok, best.col_a], Y[ok, best.col_b]

        def draw(fig):
            ax = fig.add_subplot()
            ax.scatter(a, b, s=6, alpha=0.5)
            lo, hi = min(a.min(), b.min()), max(a.max(), b.max())
            ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="y = x")
            ax.set_xlabel(f"{r.signal} (%), seed {best.seed_a}")
            ax.set_ylabel(f"{r.signal} (%), seed {best.seed_b}")
            ax.set_title(
                f"Seeds {best.seed_a} vs {best.seed_b}: Kendall τ = {best.tau:.2f}, "
                f"{int(ok.sum())} cells"
            )
            ax.legend()

        rep.figure(
            "seed_agreement",
            draw,
            {"seed_a": best.seed_a, "seed_b": best.seed_b, "a": a, "b": b, "tau": best.tau},
            f"Each cell's final `{r.signal}` under the two training seeds of the studied table "
            "that share the most cells.",
            size=(5.0, 4.5),
        )
    live = r.live_build
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
    titles = {
        "noise": "Noise: surrogate vs single-seed table",
        "leave-out": "Leave-region-out",
        "compare": "Optimizers: table vs surrogate",
    }
    for name, title in titles.items():
        rep.heading(title, 3)
        s = r.studies.get(name)
        rep.text(s.markdown(s.out.name) if isinstance(s, StudyResult) else f"Not run: {s}.")
    if r.nb201_noise is not None:
        nb = r.nb201_noise
        rep.heading("3. Real NB201 data (published reference CSV, CIFAR-10)")
        rep.text(
            "Data: the published NB201 per-run 200-epoch validation accuracies of the "
            "cifar10-valid split (2–3 runs per cell), imported with the wide-table importer. "
            f"Seed-to-seed Kendall τ: {nb.seed_agreement.seed_to_seed_kendall_tau:.3f}.\n\n"
            + nb.markdown(nb.out.name)
        )
    rep.heading("Timings")
    rep.table([{"stage": k, "seconds": v} for k, v in r.timings_s.items()], floatfmt=".1f")
    rep.summary = r.to_dict()
    return rep.write()
