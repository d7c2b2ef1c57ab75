"""The queries replayed against the official APIs and against our facades.

Used by ``record_official.py`` (which runs them on ``nats_bench`` 1.8 / ``nas_201_api`` 2.1) and by
``test_official_replay.py`` (which runs them on `surrogate_nb.compat`). Needs only the standard
library and numpy, so it imports in both environments.

A call is ``{"id", "method", "args", "kwargs", "force", "probe"}``: ``force`` lists the seeds the
random draws of ``is_random=True`` must return, in order (official: ``random.choice``; ours:
``api._draw_seed``); ``probe`` names a function below that turns a returned record object into
plain data. `run_call` returns ``{"result": ...}`` or ``{"error": name, "is": [builtins]}``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from typing import Any

DATASETS = ("cifar10-valid", "cifar10", "cifar100", "ImageNet16-120")
BUILTINS = (ValueError, KeyError, AssertionError, LookupError, TypeError)


def plain(x: Any) -> Any:
    """JSON-able copy: numpy scalars -> float/int, tuples -> lists, keys -> str."""
    if isinstance(x, dict):
        return {str(k): plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    if hasattr(x, "tolist"):
        return plain(x.tolist())
    if isinstance(x, bool) or x is None or isinstance(x, (int, str)):
        return x
    if isinstance(x, float):
        return x
    return repr(x)


def _try(fn: Callable[[], Any]) -> Any:
    try:
        return plain(fn())
    except Exception as e:  # a probe records errors as data: the builtins the error is
        return {"error_is": [b.__name__ for b in BUILTINS if isinstance(e, b)]}


def probe_trials(trials: dict) -> Any:
    """``{seed: ResultsCount}`` -> per seed: train / eval points, times, latency, epochs."""
    out = {}
    for seed, r in trials.items():
        names = sorted(r.get_eval_set())
        out[str(int(seed))] = {
            "epochs": _try(r.get_total_epoch),
            "eval_set": names,
            "train_last": _try(r.get_train),
            "train_0": _try(lambda r=r: r.get_train(0)),
            "eval_last": {n: _try(lambda r=r, n=n: r.get_eval(n)) for n in names},
            "eval_0": {n: _try(lambda r=r, n=n: r.get_eval(n, 0)) for n in names},
            "valid_alias": _try(lambda r=r: r.get_eval("valid")),
            "times": _try(r.get_times),
            "latency": _try(r.get_latency),
            "bad_epoch": _try(lambda r=r: r.get_train(r.get_total_epoch())),
        }
    return out


def probe_arch_results(ar: Any) -> Any:
    """``ArchResults`` -> names, seeds, costs and mean metrics per dataset and set."""
    names = list(ar.get_dataset_names())
    out: dict[str, Any] = {"datasets": sorted(names), "arch_str": ar.arch_str}
    for d in names:
        sets = ["train", "x-valid", "x-test", "ori-test", "valid"]
        out[d] = {
            "seeds": plain(ar.get_dataset_seeds(d)),
            "costs": _try(lambda d=d: ar.get_compute_costs(d)),
            "epochs": _try(lambda d=d: ar.get_total_epoch(d)),
            "metrics": {s: _try(lambda d=d, s=s: ar.get_metrics(d, s)) for s in sets},
            "metrics_e3": {s: _try(lambda d=d, s=s: ar.get_metrics(d, s, 3)) for s in sets},
            "latency": _try(lambda d=d: ar.get_latency(d)),
            "query": sorted(str(int(s)) for s in ar.query(d)),
        }
    return out


PROBES = {"trials": probe_trials, "arch_results": probe_arch_results}


def run_call(api: Any, call: dict, force: Callable[[list], Any]) -> dict:
    """Run one call on ``api``; ``force(seeds)`` is a context manager fixing the random draws."""
    method = getattr(api, call["method"])
    try:
        with force(call.get("force")):
            value = method(*call["args"], **call["kwargs"])
        if call.get("probe"):
            value = PROBES[call["probe"]](value)
        return {"result": plain(value)}
    except Exception as e:
        return {"error": type(e).__name__, "is": [b.__name__ for b in BUILTINS if isinstance(e, b)]}


def same(a: Any, b: Any, rel: float = 1e-12) -> bool:
    """Equal after `plain`, floats to ``rel`` (ints and floats compare by value); a recorded
    error (``{"error_is": [...]}``) matches one that is at least those builtins."""
    if isinstance(a, dict) and isinstance(b, dict):
        if "error_is" in a and "error_is" in b:  # ours may be more builtins than the official
            return set(a["error_is"]) <= set(b["error_is"])
        return a.keys() == b.keys() and all(same(a[k], b[k], rel) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, rel) for x, y in zip(a, b, strict=True))
    num = (int, float)
    if isinstance(a, num) and isinstance(b, num) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=rel, abs_tol=rel)
    return a == b


def first_difference(a: Any, b: Any, path: str = "") -> str:
    """Where two plain values differ, for assertion messages."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return f"{path}: keys {sorted(a.keys() ^ b.keys())} differ"
        for k in a:
            if not same(a[k], b[k]):
                return first_difference(a[k], b[k], f"{path}.{k}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if not same(x, y):
                return first_difference(x, y, f"{path}[{i}]")
    return f"{path}: {json.dumps(a)[:200]} != {json.dumps(b)[:200]}"


def calls(kind: str, spec: dict) -> Iterator[dict]:
    """The calls for one fixture. ``kind``: "nats" or "nb201"; ``spec``: the fixture's cells,
    arch strings and ``{hp: {dataset: [seeds]}}`` per cell (written by the fixture generator)."""
    n = 0

    def c(method, *args, force=None, probe=None, **kwargs):
        nonlocal n
        n += 1
        return {
            "id": f"{n:04d}-{method}",
            "method": method,
            "args": list(args),
            "kwargs": kwargs,
            "force": force,
            "probe": probe,
        }

    cells = spec["cells"]
    yield c("__len__")
    for i in cells:
        yield c("arch", i)
        yield c("query_index_by_arch", spec["arch_str"][str(i)])
        yield c("query_index_by_arch", i)
        yield c("str2lists", spec["arch_str"][str(i)])
        yield c("str2matrix", spec["arch_str"][str(i)])
        if kind == "nats":
            yield c("get_unique_str", i)
    for bad in (15625, -1):
        yield c("arch", bad)
        yield c("query_index_by_arch", bad)
    yield c("query_index_by_arch", "|bogus~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    yield c("str2matrix", "|bogus_op~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    yield c("get_more_info", 15625, "cifar10", hp="200")
    yield c("get_more_info", "|bogus~0|", "cifar10", hp="200")
    i0 = cells[0]
    yield c("get_more_info", i0, "cifar10x", hp="200", is_random=False)
    yield c("get_more_info", i0, "cifar10", hp="13", is_random=False)
    yield c("get_more_info", i0, "cifar10-valid", iepoch=200, hp="200", is_random=False)
    yield c("get_more_info", i0, "cifar10-valid", hp="200", is_random=12345)
    yield c("get_more_info", i0, "cifar10-valid", hp="200", is_random="yes")
    for i in cells:
        for hp, per_ds in spec["seeds"][str(i)].items():
            T = 12 if hp == "12" else 200
            for ds, seeds in per_ds.items():
                yield c("get_cost_info", i, ds, hp=hp)
                yield c("get_latency", i, ds, hp=hp)
                yield c("query_by_index", i, ds, hp=hp, probe="trials")
                for iepoch in (None, 5) + ((150,) if T == 200 else ()):
                    yield c("get_more_info", i, ds, iepoch=iepoch, hp=hp, is_random=False)
                    for s in seeds:
                        yield c("get_more_info", i, ds, iepoch=iepoch, hp=hp, is_random=s)
                    yield c("get_more_info", i, ds, iepoch=iepoch, hp=hp, force=[seeds[-1]])
            yield c("query_meta_info_by_index", i, hp=hp, probe="arch_results")
            yield c("query_by_index", i, "bogus", hp=hp)
            yield c("query_info_str_by_arch", i, hp=hp)
            yield c("query_by_arch", spec["arch_str"][str(i)], hp)
            for ds in ("cifar10", "cifar100", "ImageNet16-120"):
                d2 = "cifar10-valid" if ds == "cifar10" else ds
                seeds = per_ds.get(d2) or [0]
                s_last = (per_ds.get(ds) or seeds)[-1]
                iepochs = (None, 5, 150) if (kind == "nats" and T == 200) else (None,)
                for iepoch in iepochs:
                    for s in seeds:
                        extra = {"iepoch": iepoch} if kind == "nats" else {}
                        yield c("simulate_train_eval", i, ds, hp=hp, force=[s, s_last], **extra)
            yield c("simulate_train_eval", i, "cifar10-valid", hp=hp)
        for ds in DATASETS:
            yield c("get_net_config", i, ds)
    for hp in ("12", "200"):
        for ds in DATASETS:
            yield c("statistics", ds, hp)
        for ds, st in (
            ("cifar10", "valid"),
            ("cifar10", "test"),
            ("cifar10", "train"),
            ("cifar10-valid", "x-valid"),
            ("cifar10-valid", "ori-test"),
            ("cifar100", "valid"),
            ("cifar100", "test"),
            ("cifar100", "ori-test"),
            ("ImageNet16-120", "x-valid"),
            ("ImageNet16-120", "train"),
        ):
            yield c("find_best", ds, st, hp=hp)
            for fmax, pmax in spec["limits"]:
                if kind == "nats":
                    yield c("find_best", ds, st, flop_max=fmax, param_max=pmax, hp=hp)
                else:
                    yield c("find_best", ds, st, FLOP_max=fmax, Param_max=pmax, hp=hp)
    yield c("statistics", "cifar10x", "200")
    yield c("simulate_train_eval", i0, "cifar10x", hp="200")
