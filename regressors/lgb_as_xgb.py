"""A fitted LightGBM regression booster re-expressed as an XGBoost booster, for large batches.

LightGBM's predictor walks 60-90 ns per tree per row here; XGBoost's walks the same trees in
~25 ns (measured on this project's NB-101 members: 500 trees of 15 leaves, 461 features).
`to_xgboost` copies every tree node for node, so both libraries send every row to the same leaf:

* a split ``x <= t`` (LightGBM, ``t`` a double) becomes ``x < t'`` (XGBoost, float32), ``t'`` the
  float32 just above the largest float32 ``<= t``: the same decision for every float32 ``x``
  (features reach both libraries as float32);
* a missing value (NaN) goes where LightGBM sends it: its default child for ``missing_type=NaN``,
  the child of 0.0 for ``missing_type=None`` (LightGBM reads NaN as 0 there);
* XGBoost takes a node's right child to be its left child + 1, so the nodes are renumbered
  (LightGBM internal node ``i``'s children become nodes ``2i + 1`` and ``2i + 2``).

A copy may read fewer columns: ``to_xgboost(booster, columns)`` expects the rows
``X[:, columns]``, ``columns`` holding at least the features its trees split on
(`split_columns`). A row's values are taken from its columns once per call (XGBoost copies each
row before walking the trees), so leaving out columns no tree reads saves that work; the trees and
leaves are the same.

What differs is arithmetic only: XGBoost keeps leaf values and their sum in float32. The mean
leaf value of the first tree (which carries LightGBM's starting average) is taken out of the
trees and added back in float64 (`FastBooster.offset`), so the running float32 sum stays small:
predictions agree with LightGBM's to ~1e-7 (tested).

Boosters this cannot copy exactly raise `NotConvertible` (the caller keeps LightGBM's predictor):
categorical splits, ``zero_as_missing`` splits, linear trees, objectives other than plain
regression, several outputs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

_NO_PARENT = 2147483647  # xgboost's parent of the root


class NotConvertible(Exception):
    """The booster holds something `to_xgboost` cannot copy exactly."""


@dataclass(frozen=True)
class FastBooster:
    """An XGBoost copy of one LightGBM booster: prediction = ``booster(X) + offset``."""

    booster: Any  # xgboost.Booster, one thread
    offset: float

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Float64 predictions for float32 rows `X`."""
        return self.booster.inplace_predict(X).astype(np.float64) + self.offset


def _header_and_trees(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The model text's header fields and one ``key=value`` dict per tree."""
    head, *blocks = text.split("\nTree=")
    header = dict(line.split("=", 1) for line in head.splitlines() if "=" in line)
    trees = []
    for block in blocks:
        block = block.split("\nend of trees", 1)[0]
        trees.append(dict(line.split("=", 1) for line in block.splitlines()[1:] if "=" in line))
    return header, trees


def _ints(s: str) -> np.ndarray:
    return np.array(s.split(), dtype=np.int64)


def _floats(s: str) -> np.ndarray:
    return np.array(s.split(), dtype=np.float64)


def split_conditions(thresholds: np.ndarray) -> np.ndarray:
    """Float32 ``t'`` with ``x < t'`` exactly when ``x <= t`` for every float32 ``x``."""
    with np.errstate(over="ignore"):  # beyond float32's range: +-inf, which decides the same
        low = thresholds.astype(np.float32)  # to nearest: step down where it went above
        low = np.where(low.astype(np.float64) > thresholds, np.nextafter(low, -np.inf), low)
        return np.nextafter(low, np.float32(np.inf))


def _joined(trees: list[dict[str, str]], key: str, dtype: type) -> np.ndarray:
    """Field `key` of every tree, concatenated (trees without it: one leaf, skipped)."""
    return np.array(" ".join(t[key] for t in trees if key in t).split(), dtype=dtype)


def _trees(trees: list[dict[str, str]], offset: float, column: np.ndarray) -> list[dict[str, list]]:
    """Every LightGBM tree as xgboost's JSON arrays (first tree's leaf values less `offset`;
    feature ``f`` read from column ``column[f]``)."""
    n_leaves = np.array([int(t["num_leaves"]) for t in trees], np.int64)
    n_inner = n_leaves - 1
    leaf_value = _joined(trees, "leaf_value", np.float64)
    leaf_value[: n_leaves[0]] -= offset
    decision = _joined(trees, "decision_type", np.int64)
    if (decision & 1).any():
        raise NotConvertible("categorical split")
    missing = (decision >> 2) & 3  # 0 None, 1 Zero, 2 NaN
    if (missing == 1).any():
        raise NotConvertible("zero_as_missing split")
    threshold = _joined(trees, "threshold", np.float64)
    feature = column[_joined(trees, "split_feature", np.int64)]
    left, right = _joined(trees, "left_child", np.int64), _joined(trees, "right_child", np.int64)
    # per inner node: its slot within its tree; per tree: where its inner nodes / leaves /
    # new nodes start in the concatenated arrays
    inner_start = np.concatenate([[0], np.cumsum(n_inner)])
    leaf_start = np.concatenate([[0], np.cumsum(n_leaves)])
    n_nodes = n_inner + n_leaves
    node_start = np.concatenate([[0], np.cumsum(n_nodes)])
    tree_of_inner = np.repeat(np.arange(len(trees)), n_inner)
    slot = np.arange(len(left)) - inner_start[tree_of_inner]
    # new ids within a tree: the root is 0; inner node i's children are 2i + 1 and 2i + 2
    inner_id = np.zeros(len(left), np.int64)  # roots stay 0
    leaf_id = np.zeros(len(leaf_value), np.int64)
    for child, new in ((left, 2 * slot + 1), (right, 2 * slot + 2)):
        inner = child >= 0
        inner_id[inner_start[tree_of_inner[inner]] + child[inner]] = new[inner]
        leaf_id[leaf_start[tree_of_inner[~inner]] + ~child[~inner]] = new[~inner]
    at_inner = node_start[tree_of_inner] + inner_id  # positions in the concatenated nodes
    at_leaf = node_start[np.repeat(np.arange(len(trees)), n_leaves)] + leaf_id
    total = int(node_start[-1])
    left_children = np.full(total, -1, np.int64)
    left_children[at_inner] = 2 * slot + 1
    right_children = np.full(total, -1, np.int64)
    right_children[at_inner] = 2 * slot + 2
    parents = np.full(total, _NO_PARENT, np.int64)
    parents[node_start[tree_of_inner] + 2 * slot + 1] = inner_id
    parents[node_start[tree_of_inner] + 2 * slot + 2] = inner_id
    conditions = np.zeros(total, np.float64)
    conditions[at_inner] = split_conditions(threshold)
    conditions[at_leaf] = leaf_value.astype(np.float32)
    split_indices = np.zeros(total, np.int64)
    split_indices[at_inner] = feature
    default_left = np.zeros(total, np.int64)
    # NaN: LightGBM's default child where it records NaN as missing, else the child of 0.0
    default_left[at_inner] = np.where(missing == 2, (decision >> 1) & 1, threshold >= 0.0)
    columns = {
        "left_children": left_children,
        "right_children": right_children,
        "parents": parents,
        "split_indices": split_indices,
        "split_conditions": conditions,
        "default_left": default_left,
    }
    cuts = node_start[1:-1]
    split = {k: [part.tolist() for part in np.split(v, cuts)] for k, v in columns.items()}
    return [{k: split[k][i] for k in columns} for i in range(len(trees))]


@lru_cache(maxsize=8)
def _skeleton(n_features: int) -> str:
    """xgboost's own JSON of a one-tree regression model on `n_features` features (base 0)."""
    import xgboost as xgb

    X = np.zeros((2, n_features), np.float32)
    params = {"objective": "reg:squarederror", "base_score": 0.0, "nthread": 1, "verbosity": 0}
    booster = xgb.train(params, xgb.DMatrix(X, label=[0.0, 0.0]), num_boost_round=1)
    return bytes(booster.save_raw("json")).decode()


def split_columns(lgb_boosters: list[Any]) -> np.ndarray:
    """The features some tree of `lgb_boosters` splits on, in ascending order."""
    used = sum(np.asarray(b.feature_importance("split")) > 0 for b in lgb_boosters)
    return np.flatnonzero(used)


def to_xgboost(lgb_booster: Any, columns: np.ndarray | None = None) -> FastBooster:
    """The XGBoost copy of a fitted LightGBM regression booster (see the module docstring).

    Args:
        lgb_booster: the booster.
        columns: the copy predicts rows ``X[:, columns]`` (ascending feature indices, holding
            every feature a tree splits on); None: all features, rows ``X``.

    Raises:
        NotConvertible: the booster holds a split or an output this cannot copy exactly.
        ValueError: `columns` leaves out a feature a tree splits on.
    """
    import xgboost as xgb

    header, trees = _header_and_trees(lgb_booster.model_to_string())
    if header.get("objective", "").split()[0:1] != ["regression"] or "sqrt" in header["objective"]:
        raise NotConvertible(f"objective {header.get('objective')!r}")
    if int(header.get("num_tree_per_iteration", "1")) != 1:
        raise NotConvertible("several outputs per iteration")
    if any(t.get("is_linear", "0") != "0" for t in trees):
        raise NotConvertible("linear trees")
    if not trees:
        raise NotConvertible("no trees")
    n_features = int(header["max_feature_idx"]) + 1
    if columns is None:
        columns = np.arange(n_features)
    missing = np.setdiff1d(split_columns([lgb_booster]), columns)
    if len(missing):
        raise ValueError(f"columns leave out features {missing.tolist()} that trees split on")
    column = np.full(n_features, -1, np.int64)  # feature -> its column in the copy's rows
    column[columns] = np.arange(len(columns))
    offset = float(_floats(trees[0]["leaf_value"]).mean())
    model = json.loads(_skeleton(max(len(columns), 1)))
    gbtree = model["learner"]["gradient_booster"]["model"]
    proto = gbtree["trees"][0]
    out = []
    for i, arrays in enumerate(_trees(trees, offset, column)):
        n = len(arrays["left_children"])
        zeros = [0.0] * n
        out.append(
            {
                **proto,
                **arrays,
                "id": i,
                "split_type": [0] * n,
                "base_weights": zeros,
                "loss_changes": zeros,
                "sum_hessian": zeros,
                "tree_param": {**proto["tree_param"], "num_nodes": str(n)},
            }
        )
    gbtree["trees"] = out
    gbtree["tree_info"] = [0] * len(out)
    if "iteration_indptr" in gbtree:
        gbtree["iteration_indptr"] = list(range(len(out) + 1))
    gbtree["gbtree_model_param"]["num_trees"] = str(len(out))
    booster = xgb.Booster()
    booster.load_model(bytearray(json.dumps(model).encode()))
    booster.set_param({"nthread": 1})
    return FastBooster(booster, offset)
