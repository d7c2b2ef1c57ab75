"""The optional packages behind the syne-tune adapter and the methods they offer.

syne-tune (the optional extra ``hpo``: ``pip install "surrogate-nb[hpo]"``; it also holds ``smac``
and ``dehb``) is imported only inside this package and only when used; a missing one is one line
naming the extra (`MissingExtraError`).
"""

from __future__ import annotations

from types import ModuleType

from surrogate_nb.errors import SurrogateNBError, UnknownKeyError

INSTALL_HINT = 'pip install "surrogate-nb[hpo]"'
#: Registry name -> (class: in ``syne_tune.optimizer.baselines``, syne-tune's SMAC3 wrapper, or
#: the ``dehb`` package; multi-fidelity).
SCHEDULERS: dict[str, tuple[str, bool]] = {
    "st_random_search": ("RandomSearch", False),
    "st_rea": ("REA", False),
    "st_tpe": ("TPE", False),
    "st_bore": ("BORE", False),
    "st_asha": ("ASHA", True),
    "st_bohb": ("BOHB", True),
    "st_smac": ("SMACScheduler", False),
    "dehb": ("DEHB", True),
}
#: Methods that need a package beyond syne-tune: name -> (import name, what to call it).
_PACKAGES = {"st_smac": ("smac", "SMAC3"), "dehb": ("dehb", "DEHB")}


class MissingExtraError(SurrogateNBError, ImportError):
    """An optional dependency group is not installed; the message says how to install it."""


def require_syne_tune() -> ModuleType:
    """Import syne-tune (and its blackbox repository), or raise `MissingExtraError`."""
    try:
        import syne_tune  # noqa: F401
        import syne_tune.blackbox_repository as repo
    except ImportError as exc:
        raise MissingExtraError(
            f"syne-tune is not installed ({exc.name or exc}); install the extra: {INSTALL_HINT}"
        ) from None
    return repo


def require_method(method: str) -> None:
    """Check that `method` is known and its packages are installed.

    Raises:
        UnknownKeyError: not a key of `SCHEDULERS`.
        MissingExtraError: syne-tune, SMAC3 or DEHB missing (one line with the install hint).
    """
    if method not in SCHEDULERS:
        raise UnknownKeyError("syne-tune scheduler", method, sorted(SCHEDULERS))
    require_syne_tune()
    if method in _PACKAGES:
        module, label = _PACKAGES[method]
        try:
            __import__(module)
        except ImportError as exc:
            raise MissingExtraError(
                f"{label} is not installed ({exc.name or exc}); install the extra: {INSTALL_HINT}"
            ) from None
