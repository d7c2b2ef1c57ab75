"""Mutation score of one module against its targeted tests, on a seeded sample of mutants.

cosmic-ray (``pip install cosmic-ray``) lists every mutant of MODULE (``cosmic-ray init``); a
seeded random sample of SAMPLE of them is applied one at a time (``cosmic-ray apply``), the
TESTS command runs, and the file is restored from git. A mutant is killed when the tests fail
or time out. A sample keeps a run bounded on a shared CPU (each mutant costs one pytest start);
the printed interval is the Wilson 95 % interval of the whole module's score.

    python benchmarks/mutation_sample.py evaluation/metrics.py 30 \\
        "python -m pytest -x -q tests/evaluation/test_metrics.py"

Run it on a clean checkout (it rewrites MODULE on disk and restores it with ``git checkout``).
"""

from __future__ import annotations

import json
import math
import random
import shlex
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main(module: str, sample: int, tests: str, timeout: float = 180.0, seed: int = 0) -> dict:
    bin_dir = Path(sys.executable).parent
    if subprocess.run(["git", "diff", "--quiet", "--", module]).returncode:
        raise SystemExit(f"{module} has uncommitted changes; commit them first")
    work = Path(tempfile.mkdtemp(prefix="mutation-"))
    cfg = work / "config.toml"
    cfg.write_text(
        f'[cosmic-ray]\nmodule-path = "{module}"\ntimeout = {timeout}\nexcluded-modules = []\n'
        f'test-command = {json.dumps(tests)}\n\n[cosmic-ray.distributor]\nname = "local"\n'
    )
    db = work / "session.sqlite"
    subprocess.run([bin_dir / "cosmic-ray", "init", cfg, db], check=True)
    rows = (
        sqlite3.connect(db)
        .execute(
            "SELECT operator_name, occurrence, start_pos_row, definition_name FROM mutation_specs"
        )
        .fetchall()
    )
    picked = random.Random(seed).sample(rows, min(sample, len(rows)))
    t0 = time.time()
    results = []
    for op, occ, row, where in picked:
        subprocess.run(
            [bin_dir / "cosmic-ray", "apply", module, op, str(occ)],
            check=True,
            capture_output=True,
        )
        try:
            r = subprocess.run(shlex.split(tests), capture_output=True, timeout=timeout)
            killed = r.returncode != 0
        except subprocess.TimeoutExpired:
            killed = True
        finally:
            subprocess.run(["git", "checkout", "--", module], check=True)
        results.append({"operator": op, "occurrence": occ, "line": row, "in": where,
                        "killed": killed})  # fmt: skip
        print(("killed  " if killed else "SURVIVED"), op, f"line {row}", where, flush=True)
    k, n = sum(r["killed"] for r in results), len(results)
    z = 1.96
    centre = (k + z * z / 2) / (n + z * z)
    half = z * math.sqrt(k * (n - k) / n + z * z / 4) / (n + z * z)
    out = {
        "module": module,
        "mutants": len(rows),
        "sampled": n,
        "killed": k,
        "score": k / n,
        "wilson95": [centre - half, centre + half],
        "seconds": round(time.time() - t0),
        "tests": tests,
        "survivors": [r for r in results if not r["killed"]],
    }
    print(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
