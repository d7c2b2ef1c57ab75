"""Drop-in facades for other benchmark APIs: NATS-Bench (`surrogate_nb.compat.nats`) and the
original NAS-Bench-201 API (`surrogate_nb.compat.nb201`)."""

from surrogate_nb.compat import nats, nb201

__all__ = ["nats", "nb201"]
