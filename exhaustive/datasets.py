"""Datasets and NB201's settings, loaded once as uint8 arrays with deterministic splits.

Sources (raw files, read without torchvision unless `download=True`):

* ``cifar10``: ``cifar-10-batches-py/`` with ``data_batch_1..5`` and ``test_batch`` (python
  pickles, keys ``data`` N×3072 uint8 channel-planar, ``labels``).
* ``cifar100``: ``cifar-100-python/`` with ``train`` and ``test`` (keys ``data``, ``fine_labels``).
* ``imagenet16``: a folder with ``train_data_batch_1..10`` and ``val_data`` (keys ``data``
  N×768 uint8 channel-planar 16×16, ``labels`` 1..1000); classes 1..120 are kept (ImageNet16-120).
* ``fashion-mnist``: IDX files ``train-images-idx3-ubyte[.gz]``, ``train-labels-idx1-ubyte[.gz]``,
  ``t10k-images-idx3-ubyte[.gz]``, ``t10k-labels-idx1-ubyte[.gz]`` (default folder
  ``/usr/share/datasets/fashion-mnist``, Debian's ``dataset-fashion-mnist``).
* any source may instead be one ``.npz`` file with ``x_train, y_train, x_test, y_test`` (uint8
  images N×H×W or N×H×W×C, integer labels) — `export_npz` writes one, to carry data to a GPU box;
  a user folder with ``train.npz`` and ``test.npz`` (keys ``x``, ``y``) is the ``npz`` source.

Settings (NB201's, plus the same for Fashion-MNIST and user data):

=====================  ==============================  =========================================
setting                trains on                       eval splits
=====================  ==============================  =========================================
cifar10-valid          25k half of train               x-valid (other 25k half), test (10k)
cifar10                50k train                       test
cifar100               50k train                       x-valid / x-test (5k/5k halves of test),
                                                       test (= both halves, scored once)
ImageNet16-120         151,700 train (classes 1..120)  x-valid / x-test (3k/3k), test
fashion-mnist-valid    30k half of train               x-valid (other 30k half), test (10k)
fashion-mnist          60k train                       x-valid / x-test (5k/5k), test
npz                    train.npz                       x-valid / x-test halves of test.npz, test
=====================  ==============================  =========================================

The original NB201 split files are not available, so every split is drawn from
``numpy.random.default_rng([SPLIT_SEED, purpose])`` (purpose 0: halves of train, 1: halves of
test, 2: order of the train subset, 3: order of eval subsets); the SHA-256 of every index list
(int64 little endian) goes into the table manifest so two tables can be checked to share splits.
"""

from __future__ import annotations

import gzip
import hashlib
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from surrogate_nb.errors import DatasetError, UnknownKeyError

#: Seed of every split; documented in the module docstring and recorded in manifests.
SPLIT_SEED = 201
#: Default folder of Fashion-MNIST (Debian package dataset-fashion-mnist).
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")

#: Per-channel mean / std in 0..255 units, from PROTOCOL.md; other sources use train statistics.
_NORMALISATION = {
    "cifar10": ((125.3, 123.0, 113.9), (63.0, 62.1, 66.7)),
    "cifar100": ((129.3, 124.1, 112.4), (68.2, 65.4, 70.4)),
    "imagenet16": ((122.68, 116.66, 104.01), (63.22, 61.26, 65.09)),
}


@dataclass(frozen=True)
class SettingSpec:
    """One training setting: which source, how the train and eval splits are cut.

    Attributes:
        name: setting name (the table's dataset key).
        source: raw source ("cifar10", "cifar100", "imagenet16", "fashion-mnist", "npz").
        kind: "valid" (train on a half of train, x-valid = other half, test = test set) or
            "halves" (train on all of train, x-valid / x-test = halves of test, test = both).
        num_classes: number of classes.
    """

    name: str
    source: str
    kind: str
    num_classes: int


SETTINGS: dict[str, SettingSpec] = {
    s.name: s
    for s in (
        SettingSpec("cifar10-valid", "cifar10", "valid", 10),
        SettingSpec("cifar10", "cifar10", "test", 10),
        SettingSpec("cifar100", "cifar100", "halves", 100),
        SettingSpec("ImageNet16-120", "imagenet16", "halves", 120),
        SettingSpec("fashion-mnist-valid", "fashion-mnist", "valid", 10),
        SettingSpec("fashion-mnist", "fashion-mnist", "halves", 10),
        SettingSpec("npz", "npz", "halves", 0),
    )
}

_LAYOUT = {
    "cifar10": "a folder holding cifar-10-batches-py/ (or being it) with data_batch_1..5 and "
    "test_batch (python pickles with keys data N×3072 uint8, labels); or one .npz with x_train, "
    "y_train, x_test, y_test; or pass download=True (--download) on a machine with internet",
    "cifar100": "a folder holding cifar-100-python/ (or being it) with train and test (python "
    "pickles with keys data N×3072 uint8, fine_labels); or one .npz with x_train, y_train, "
    "x_test, y_test; or download=True",
    "imagenet16": "a folder with train_data_batch_1..10 and val_data (python pickles with keys "
    "data N×768 uint8, labels 1..1000); or one .npz with x_train, y_train, x_test, y_test",
    "fashion-mnist": "a folder with train-images-idx3-ubyte, train-labels-idx1-ubyte, "
    "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each optionally .gz), e.g. "
    "/usr/share/datasets/fashion-mnist; or one .npz with x_train, y_train, x_test, y_test",
    "npz": "a folder with train.npz and test.npz, each with x (uint8 N×H×W or N×H×W×C) and y "
    "(integer labels 0..K-1); or one .npz with x_train, y_train, x_test, y_test",
}


# ---- raw sources -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawData:
    """A source as loaded: uint8 images N×C×H×W and int64 labels 0..K-1."""

    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    path: str


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Loads dicts/lists/numpy arrays only: a dataset pickle must not run arbitrary code."""

    _ALLOWED: ClassVar[set[tuple[str, str]]] = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"dataset pickles may hold numpy arrays only, found {module}.{name}"
        )


def _read_pickle(path: Path, source: str) -> dict:
    if not path.is_file():
        raise DatasetError(f"missing dataset file {path}; expected {_LAYOUT[source]}")
    try:
        with path.open("rb") as fh:
            obj = _NumpyOnlyUnpickler(fh, encoding="bytes").load()
    except Exception as exc:
        raise DatasetError(
            f"cannot read {path} as a dataset pickle ({exc}); expected {_LAYOUT[source]}"
        ) from exc
    if not isinstance(obj, dict):
        raise DatasetError(
            f"{path} holds a {type(obj).__name__}, not a dict; expected {_LAYOUT[source]}"
        )
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in obj.items()}


def _planar(path: Path, entry: dict, label_key: str, side: int, source: str) -> tuple:
    try:
        data = np.asarray(entry["data"], dtype=np.uint8)
        labels = np.asarray(entry[label_key], dtype=np.int64)
        data = data.reshape(len(data), 3, side, side)
    except (KeyError, ValueError, TypeError) as exc:
        raise DatasetError(
            f"{path} is malformed ({type(exc).__name__}: {exc}); expected {_LAYOUT[source]}"
        ) from exc
    if len(labels) != len(data):
        raise DatasetError(f"{path}: {len(data)} images but {len(labels)} labels")
    return data, labels


def _cifar_dir(root: Path, sub: str) -> Path:
    return root / sub if (root / sub).is_dir() else root


def _load_cifar10(root: Path) -> RawData:
    folder = _cifar_dir(root, "cifar-10-batches-py")
    parts = [
        _planar(p, _read_pickle(p, "cifar10"), "labels", 32, "cifar10")
        for p in [folder / f"data_batch_{i}" for i in range(1, 6)]
    ]
    test = folder / "test_batch"
    tx, ty = _planar(test, _read_pickle(test, "cifar10"), "labels", 32, "cifar10")
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    return RawData(x, y, tx, ty, str(folder))


def _load_cifar100(root: Path) -> RawData:
    folder = _cifar_dir(root, "cifar-100-python")
    out = []
    for name in ("train", "test"):
        p = folder / name
        out.append(_planar(p, _read_pickle(p, "cifar100"), "fine_labels", 32, "cifar100"))
    return RawData(out[0][0], out[0][1], out[1][0], out[1][1], str(folder))


def _load_imagenet16(root: Path, num_classes: int = 120) -> RawData:
    def load(paths):
        xs, ys = [], []
        for p in paths:
            x, y = _planar(p, _read_pickle(p, "imagenet16"), "labels", 16, "imagenet16")
            keep = (y >= 1) & (y <= num_classes)
            xs.append(x[keep])
            ys.append(y[keep] - 1)
        return np.concatenate(xs), np.concatenate(ys)

    tx, ty = load([root / f"train_data_batch_{i}" for i in range(1, 11)])
    vx, vy = load([root / "val_data"])
    return RawData(tx, ty, vx, vy, str(root))


def _read_idx(folder: Path, stem: str) -> np.ndarray:
    plain, packed = folder / stem, folder / f"{stem}.gz"
    path = packed if packed.is_file() else plain
    if not path.is_file():
        raise DatasetError(
            f"missing dataset file {plain} (or {packed.name}); expected {_LAYOUT['fashion-mnist']}"
        )
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
            raise ValueError("not an unsigned-byte IDX file (bad magic number)")
        ndim = raw[3]
        dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
        start = 4 + 4 * ndim
        count = int(np.prod(dims))
        if len(raw) - start != count:
            raise ValueError(f"header says {dims} ({count} bytes), file has {len(raw) - start}")
        return np.frombuffer(raw, dtype=np.uint8, offset=start).reshape(dims)
    except (OSError, ValueError, EOFError, gzip.BadGzipFile) as exc:
        raise DatasetError(
            f"{path} is not a valid IDX file ({exc}); expected {_LAYOUT['fashion-mnist']}"
        ) from exc


def _load_fashion(root: Path) -> RawData:
    out = []
    for split in ("train", "t10k"):
        x = _read_idx(root, f"{split}-images-idx3-ubyte")
        y = _read_idx(root, f"{split}-labels-idx1-ubyte").astype(np.int64)
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise DatasetError(
                f"{root}: {split} images {x.shape} and labels {y.shape} do not match; "
                f"expected {_LAYOUT['fashion-mnist']}"
            )
        out.append((x[:, None], y))
    return RawData(out[0][0], out[0][1], out[1][0], out[1][1], str(root))


def _images(x: np.ndarray, path: Path, source: str) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype != np.uint8 or x.ndim not in (3, 4):
        raise DatasetError(
            f"{path}: images must be uint8 N×H×W or N×H×W×C, got {x.dtype} {x.shape}; "
            f"expected {_LAYOUT[source]}"
        )
    return x[:, None] if x.ndim == 3 else np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def _npz_arrays(path: Path, keys: tuple[str, str], source: str) -> tuple:
    if not path.is_file():
        raise DatasetError(f"missing dataset file {path}; expected {_LAYOUT[source]}")
    try:
        with np.load(path, allow_pickle=False) as z:
            x, y = z[keys[0]], z[keys[1]]
    except (KeyError, ValueError, OSError) as exc:
        raise DatasetError(f"cannot read {path} ({exc}); expected {_LAYOUT[source]}") from exc
    x = _images(x, path, source)
    y = np.asarray(y).astype(np.int64).reshape(-1)
    if len(x) != len(y):
        raise DatasetError(f"{path}: {len(x)} images but {len(y)} labels")
    return x, y


def _load_npz_file(path: Path, source: str) -> RawData:
    tx, ty = _npz_arrays(path, ("x_train", "y_train"), source)
    vx, vy = _npz_arrays(path, ("x_test", "y_test"), source)
    return RawData(tx, ty, vx, vy, str(path))


def _load_npz_dir(root: Path) -> RawData:
    tx, ty = _npz_arrays(root / "train.npz", ("x", "y"), "npz")
    vx, vy = _npz_arrays(root / "test.npz", ("x", "y"), "npz")
    return RawData(tx, ty, vx, vy, str(root))


def load_source(
    source: str, data_dir: str | Path | None = None, *, download: bool = False
) -> RawData:
    """Read one raw source (see the module docstring for layouts).

    Raises:
        DatasetError: files missing or malformed (the message names the path and the layout).
    """
    if source not in _LAYOUT:
        raise UnknownKeyError("dataset source", source, sorted(_LAYOUT))
    if data_dir is None:
        if source != "fashion-mnist":
            raise DatasetError(f"source {source!r} needs a data folder: {_LAYOUT[source]}")
        data_dir = FASHION_MNIST_DIR
    root = Path(data_dir).expanduser()
    if root.suffix == ".npz":
        return _load_npz_file(root, source)
    if download and source in ("cifar10", "cifar100"):
        import torchvision

        cls = torchvision.datasets.CIFAR10 if source == "cifar10" else torchvision.datasets.CIFAR100
        for train in (True, False):
            cls(str(root), train=train, download=True)
    if not root.is_dir():
        raise DatasetError(f"dataset folder {root} does not exist; expected {_LAYOUT[source]}")
    loader = {
        "cifar10": _load_cifar10,
        "cifar100": _load_cifar100,
        "imagenet16": _load_imagenet16,
        "fashion-mnist": _load_fashion,
        "npz": _load_npz_dir,
    }[source]
    return loader(root)


def export_npz(source: str, path: str | Path, data_dir: str | Path | None = None) -> Path:
    """Write a source as one .npz (x_train, y_train, x_test, y_test; images N×H×W[×C] uint8).

    Useful to carry Fashion-MNIST (or any source) to a machine without the Debian package; the
    file is accepted as ``data_dir`` by every loader.
    """
    raw = load_source(source, data_dir)
    path = Path(path)

    def hwc(x):
        return x[:, 0] if x.shape[1] == 1 else x.transpose(0, 2, 3, 1)

    np.savez_compressed(
        path,
        x_train=hwc(raw.train_x),
        y_train=raw.train_y,
        x_test=hwc(raw.test_x),
        y_test=raw.test_y,
    )
    return path


# ---- settings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedData:
    """A setting ready to train on: uint8 N×C×R×R images, int64 labels, normalisation.

    Attributes:
        setting: the setting name (table dataset key).
        train_x / train_y: training images and labels.
        evals: eval split name -> (images, labels), scored every epoch.
        derived: split name -> names of eval splits whose union it is (scored without a second
            forward pass, e.g. "test" = x-valid + x-test).
        mean / std: per-channel normalisation in 0..1 units.
        num_classes / in_channels / resolution: network input facts.
        manifest: split hashes, sizes and fidelity, for the table manifest.
    """

    setting: str
    train_x: np.ndarray
    train_y: np.ndarray
    evals: dict[str, tuple[np.ndarray, np.ndarray]]
    derived: dict[str, tuple[str, ...]]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    num_classes: int
    in_channels: int
    resolution: int
    manifest: dict = field(default_factory=dict)


def _rng(purpose: int) -> np.random.Generator:
    return np.random.default_rng([SPLIT_SEED, purpose])


def _sha(idx: np.ndarray) -> str:
    return hashlib.sha256(np.asarray(idx, dtype="<i8").tobytes()).hexdigest()


def _resize(x: np.ndarray, resolution: int) -> np.ndarray:
    """Area/antialiased-bilinear down-scaling or centred zero padding to `resolution`."""
    side = x.shape[-1]
    if side == resolution:
        return x
    if resolution > side:
        lo = (resolution - side) // 2
        hi = resolution - side - lo
        return np.pad(x, ((0, 0), (0, 0), (lo, hi), (lo, hi)))
    import torch
    import torch.nn.functional as F

    out = []
    for start in range(0, len(x), 8192):
        t = torch.from_numpy(x[start : start + 8192]).float()
        if side % resolution == 0:
            t = F.interpolate(t, size=(resolution, resolution), mode="area")
        else:
            t = F.interpolate(
                t,
                size=(resolution, resolution),
                mode="bilinear",
                antialias=True,
                align_corners=False,
            )
        out.append(t.round().clamp(0, 255).to(torch.uint8).numpy())
    return np.concatenate(out) if out else x[..., :resolution, :resolution]


def load_setting(
    setting: str,
    data_dir: str | Path | None = None,
    *,
    resolution: int | None = None,
    train_subset: int | None = None,
    eval_subset: int | None = None,
    download: bool = False,
) -> PreparedData:
    """Load a setting with its deterministic splits (see the module docstring).

    Args:
        setting: a key of `SETTINGS`.
        data_dir: folder or .npz of the source; None = the default (Fashion-MNIST only).
        resolution: image side fed to the network; None = native (32, 16 or 28).
        train_subset: keep the first N images of a seeded shuffle of the training split.
        eval_subset: keep at most N images of each eval split (seeded).
        download: fetch CIFAR through torchvision into `data_dir` first.

    Raises:
        UnknownKeyError: unknown setting. DatasetError: missing/malformed files, bad subset.
    """
    if setting not in SETTINGS:
        raise UnknownKeyError("dataset", setting, sorted(SETTINGS))
    spec = SETTINGS[setting]
    raw = load_source(spec.source, data_dir, download=download)
    num_classes = spec.num_classes or int(max(raw.train_y.max(), raw.test_y.max()) + 1)
    for name, y in (("train", raw.train_y), ("test", raw.test_y)):
        if len(y) and (y.min() < 0 or y.max() >= num_classes):
            raise DatasetError(
                f"{raw.path}: {name} labels span {y.min()}..{y.max()}, "
                f"expected 0..{num_classes - 1}"
            )
    n_train, n_test = len(raw.train_y), len(raw.test_y)
    splits: dict[str, tuple[str, np.ndarray]] = {}
    derived: dict[str, tuple[str, ...]] = {}
    if spec.kind == "valid":
        perm = _rng(0).permutation(n_train)
        half = n_train // 2
        splits["train"] = ("train", np.sort(perm[:half]))
        splits["x-valid"] = ("train", np.sort(perm[half:]))
        splits["test"] = ("test", np.arange(n_test))
    elif spec.kind == "test":
        splits["train"] = ("train", np.arange(n_train))
        splits["test"] = ("test", np.arange(n_test))
    else:
        perm = _rng(1).permutation(n_test)
        half = n_test // 2
        splits["train"] = ("train", np.arange(n_train))
        splits["x-valid"] = ("test", np.sort(perm[:half]))
        splits["x-test"] = ("test", np.sort(perm[half:]))
        derived["test"] = ("x-valid", "x-test")
    hashes = {name: _sha(idx) for name, (_, idx) in splits.items()}
    sizes_full = {name: len(idx) for name, (_, idx) in splits.items()}
    # fidelity cuts, after the hashes of the full splits are taken
    src, idx = splits["train"]
    if train_subset is not None:
        if train_subset > len(idx):
            raise DatasetError(
                f"train_subset={train_subset} exceeds the {len(idx)} training images"
            )
        idx = idx[_rng(2).permutation(len(idx))[:train_subset]]
        splits["train"] = (src, idx)
    if eval_subset is not None:
        for name in [n for n in splits if n != "train"]:
            src, idx = splits[name]
            if eval_subset < len(idx):
                splits[name] = (src, np.sort(idx[_rng(3).permutation(len(idx))[:eval_subset]]))
    if train_subset is not None or eval_subset is not None:
        hashes.update({f"{name}@fidelity": _sha(idx) for name, (_, idx) in splits.items()})
    # normalisation
    if spec.source in _NORMALISATION:
        mean, std = (tuple(v / 255 for v in t) for t in _NORMALISATION[spec.source])
    else:
        x = raw.train_x.astype(np.float64) / 255
        mean = tuple(float(v) for v in x.mean(axis=(0, 2, 3)))
        std = tuple(float(v) for v in x.std(axis=(0, 2, 3)))
    native = raw.train_x.shape[-1]
    res = resolution or native

    def take(src: str, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        xs, ys = (raw.train_x, raw.train_y) if src == "train" else (raw.test_x, raw.test_y)
        return _resize(xs[idx], res), ys[idx]

    train_x, train_y = take(*splits["train"])
    evals = {name: take(*v) for name, v in splits.items() if name != "train"}
    manifest = {
        "setting": setting,
        "source": spec.source,
        "path": raw.path,
        "split_seed": SPLIT_SEED,
        "num_classes": num_classes,
        "in_channels": int(raw.train_x.shape[1]),
        "native_resolution": int(native),
        "resolution": int(res),
        "mean": list(mean),
        "std": list(std),
        "split_sizes": sizes_full,
        "split_sha256": hashes,
        "fidelity": {
            "resolution": resolution,
            "train_subset": train_subset,
            "eval_subset": eval_subset,
            "train_size": len(train_y),
            "eval_sizes": {k: len(v[1]) for k, v in evals.items()},
        },
        "derived_splits": {k: list(v) for k, v in derived.items()},
    }
    return PreparedData(
        setting,
        train_x,
        train_y,
        evals,
        derived,
        mean,
        std,
        num_classes,
        int(raw.train_x.shape[1]),
        int(res),
        manifest,
    )
