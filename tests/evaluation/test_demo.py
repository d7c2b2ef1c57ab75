"""The demo in quick mode on a tiny table of SYNTHETIC values (until the committed one exists)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from surrogate_nb.errors import SurrogateNBError
from surrogate_nb.evaluation.demo import (
    DemoConfig,
    _uses_torch,
    default_table_path,
    demo_surrogate,
    run_demo,
)
from surrogate_nb.regressors import DeepEnsembleRegressor, LGBRegressor, XGBRegressor


def test_demo_quick_on_tiny_table(synthetic_table, table_tools, tmp_path):
    events = []
    cfg = DemoConfig.quick(
        out=tmp_path / "demo",
        table=synthetic_table[0],
        live_cells=0,
        surrogate=table_tools["ridge"](),
        surrogate_label="ridge",
    )
    s = run_demo(cfg, on_event=lambda k, p: events.append(k))
    out = tmp_path / "demo"
    md = (out / "report.md").read_text()
    # headline first, then the honest data statement
    assert md.index("headline.png") < md.index("What data this report uses")
    assert (out / "headline.png").stat().st_size > 5_000
    assert "400 of 15,625 cells" in md and "PARTIAL" in md and "given with --table" in md
    assert "SYNTHETIC test table" in md  # the manifest fidelity note is quoted
    tau = s.seed_agreement.seed_to_seed_kendall_tau
    assert "Seed-to-seed agreement" in md and f"{tau:.3f}" in md
    for sub in ("noise", "leave-out", "compare"):
        assert (out / sub / "report.md").is_file()
        assert json.loads((out / sub / "figures.json").read_text())
    assert s.cells == 400 and s.seeds == [777, 888]
    assert s.signal == "valid_acc" and s.report_metric == "test_acc"
    assert 0 < tau < 1
    assert s.studies["noise"].verdict in md
    summary = json.loads((out / "summary.json").read_text())
    assert summary["cells"] == 400 and "verdict" in summary["studies"]["noise"]
    assert summary["seed_agreement"]["seed_to_seed_kendall_tau"] == pytest.approx(tau)
    assert events.count("stage") == events.count("done") >= 5
    # every image the report links exists
    import re

    for link in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md):
        assert (out / link).is_file(), link


def test_demo_live_build(fashion_mnist_dir, synthetic_table, table_tools, tmp_path):
    """One Fashion-MNIST cell trained live for one epoch (a few seconds on CPU)."""
    cfg = DemoConfig.quick(
        out=tmp_path / "demo",
        table=synthetic_table[0],
        live_cells=1,
        data_dir=str(fashion_mnist_dir),
        surrogate=table_tools["ridge"](),
    )
    kinds = []
    s = run_demo(cfg, on_event=lambda k, p: kinds.append(k))
    live = s.live_build
    assert live["cells"] == 1 and live["failed"] == 0
    assert 0 <= live["results"][0]["test_acc"] <= 100
    assert "build" in kinds
    assert "Live build" in (tmp_path / "demo" / "report.md").read_text()


def test_demo_without_table_says_what_to_do(tmp_path, monkeypatch):
    import surrogate_nb.evaluation.demo as demo

    monkeypatch.setattr(demo, "default_table_path", lambda: None)
    with pytest.raises(SurrogateNBError, match="snb build"):
        run_demo(DemoConfig.quick(out=tmp_path, live_cells=0))


def test_default_table_path_points_at_committed_table():
    path = default_table_path()
    if path is None:
        pytest.skip("the committed table is not built yet")
    assert path.name == "fashion-mnist-lowfi" and (path / "manifest.json").is_file()


def test_rng_reproducible_demo_summary(synthetic_table, table_tools, tmp_path):
    runs = []
    for k in range(2):
        cfg = DemoConfig.quick(
            out=tmp_path / f"d{k}",
            table=synthetic_table[0],
            live_cells=0,
            seed=5,
            surrogate=table_tools["ridge"](),
        )
        runs.append(run_demo(cfg))
    assert runs[0].studies["compare"].means == runs[1].studies["compare"].means
    assert np.isfinite(runs[0].seed_agreement.seed_to_seed_kendall_tau)


def test_live_build_beside_the_studies_only_without_torch(table_tools):
    assert not _uses_torch(demo_surrogate(LGBRegressor, quick=True))
    assert not _uses_torch(demo_surrogate(XGBRegressor, quick=True))
    assert _uses_torch(demo_surrogate(DeepEnsembleRegressor, quick=True))
    assert _uses_torch(table_tools["ridge"]())  # not known to be torch-free: run first
