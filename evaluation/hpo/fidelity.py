"""Which fidelity a blackbox offers (``epochs`` values) and what each step costs.

The fidelity comes from the benchmark (`fidelity_plan`):

- ``"epochs"``: epochs 1..T of one training (a table or learning-curve surrogate with T > 1);
  elapsed time = per-epoch train time × epochs.
- ``"budgets"``: the benchmark's numeric training budgets up to `hp` (NB-101: 4, 12, 36, 108; a
  table imported from NB-101 data, or a surrogate per budget such as ``snb fit --hp all``). Each
  budget is an *independent* training with its own cosine schedule, so a result at budget b_k
  costs a fresh training of b_k epochs, not the continuation of b_{k-1}: elapsed time at b_k =
  Σ_{j≤k} train_time(b_j). syne-tune's simulator charges a trial that continues (or is resumed)
  from b_{k-1} to b_k the difference, i.e. exactly train_time(b_k) — what BOHB costs at that
  budget in the NB-101 paper's setting. A budget without a recorded or predicted train time is
  charged the target budget's time × b / target (an epoch costs the same whatever the schedule's
  length; NB-101's published cells record time at 108 epochs only).
- ``"final"``: the target budget alone (single-fidelity methods on a ``"budgets"`` benchmark: they
  train only the target budget and are charged only its time).
"""

from __future__ import annotations

from surrogate_nb.errors import SurrogateNBError, UnknownKeyError
from surrogate_nb.table import BenchmarkLike

#: Fidelity kinds (module docstring).
FIDELITIES = ("auto", "epochs", "budgets", "final")


def _epochs(benchmark: BenchmarkLike, dataset: str, hp: str | None) -> int:
    error = SurrogateNBError(
        f"{type(benchmark).__name__} cannot say how many epochs {dataset!r} has; a "
        "multi-fidelity blackbox needs a table or a learning-curve surrogate"
    )
    try:
        T = benchmark.epochs(dataset, hp=hp)
    except (AttributeError, TypeError) as exc:
        raise error from exc
    if T is None:
        raise error
    return int(T)


def budgets_of(benchmark: BenchmarkLike, dataset: str, metric: str) -> list[int]:
    """The numeric training budgets (hp values) at which `benchmark` answers `metric`: a
    surrogate benchmark's keys, a table's schedules."""
    surrogates = getattr(benchmark, "surrogates", None)
    if surrogates is not None:
        hps = {h for (d, m, h) in surrogates if d == dataset and m == metric}
    else:
        schedules = getattr(benchmark, "hps", None)  # a table's
        try:
            hps = set(schedules(dataset)) if schedules is not None else set()
        except (AttributeError, LookupError):
            hps = set()
    return sorted(int(h) for h in hps if h is not None and str(h).isdigit())


def _is_budget(hp: str | None, budgets: list[int]) -> bool:
    return hp is not None and str(hp).isdigit() and int(hp) in budgets


def fidelity_plan(
    benchmark: BenchmarkLike,
    dataset: str,
    metric: str,
    hp: str | None,
    fidelity: str = "auto",
    *,
    multi_fidelity: bool = True,
) -> tuple[str, list[int], str | None]:
    """``(kind, fidelity values, target hp)`` of a blackbox (module docstring).

    ``"auto"`` is ``"epochs"`` when the benchmark answers T > 1 epochs of `hp`, else
    ``"budgets"`` when it answers several numeric budgets up to `hp` and the method is
    multi-fidelity, else ``"final"`` when `hp` is a numeric budget, else ``"epochs"`` with T = 1.

    Raises:
        UnknownKeyError: an unknown `fidelity`, or ``"budgets"`` where there are none.
    """
    if fidelity not in FIDELITIES:
        raise UnknownKeyError("fidelity", fidelity, list(FIDELITIES))
    budgets = budgets_of(benchmark, dataset, metric)
    if hp is None and len(budgets) > 1:
        hp = str(budgets[-1])
    if fidelity == "auto":
        if _epochs(benchmark, dataset, hp) > 1:
            fidelity = "epochs"
        elif len(budgets) > 1 and multi_fidelity:
            fidelity = "budgets"
        elif _is_budget(hp, budgets):
            fidelity = "final"  # one budget's final value (e.g. NB-101 at 108 epochs)
        else:
            fidelity = "epochs"
    if fidelity == "epochs":
        return "epochs", list(range(1, _epochs(benchmark, dataset, hp) + 1)), hp
    if hp is None or not _is_budget(hp, budgets):
        raise UnknownKeyError(
            "budget", hp, [str(b) for b in budgets], f"{fidelity!r} fidelity needs hp = a budget"
        )
    if fidelity == "final":
        return "final", [int(hp)], hp
    return "budgets", [b for b in budgets if b <= int(hp)], hp
