"""Drop-in facades for other benchmark APIs (today: NATS-Bench, `surrogate_nb.compat.nats`)."""

from surrogate_nb.compat import nats

__all__ = ["nats"]
