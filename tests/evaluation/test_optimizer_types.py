"""The optimizers are generic in the cell type of the space they search."""

from __future__ import annotations

import numpy as np
import pytest

from surrogate_nb.evaluation.optimizers import OPTIMIZERS, CellPool
from surrogate_nb.space import NB101, NB201, Arch, Cell


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_an_optimizer_of_a_cell_type_asks_that_type(name):
    rng = np.random.default_rng(0)
    opt = OPTIMIZERS[name][Arch]()  # subscripted like a user's annotation
    opt.reset(CellPool(space=NB201), max_epochs=12)
    arch = opt.ask(rng)
    assert isinstance(arch, Arch)
    opt.tell(arch, 50.0)


def test_local_search_remembers_cells_by_their_index_in_any_space():
    rng = np.random.default_rng(1)
    opt = OPTIMIZERS["local_search"][Cell]()
    opt.reset(CellPool([0, 1, 2, 3], space=NB101))
    first = opt.ask(rng)
    opt.tell(first, 80.0)
    assert isinstance(first, Cell) and list(opt.seen_) == [NB101.index_of(first)]
