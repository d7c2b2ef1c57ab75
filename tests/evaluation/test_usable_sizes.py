"""Which training sizes a size curve uses."""

from __future__ import annotations

from surrogate_nb.evaluation.studies._common import usable_sizes


def test_sizes_that_fit_then_the_whole_training_set_where_more_was_asked():
    assert usable_sizes((30, 100, 300, 1000, 3000), 2459) == [30, 100, 300, 1000, 2459]


def test_sizes_that_all_fit_are_kept_as_asked():
    assert usable_sizes((100, 30, 30), 500) == [30, 100]


def test_nothing_fits_gives_the_whole_set_and_too_few_cells_give_nothing():
    assert usable_sizes((1000,), 40) == [40]
    assert usable_sizes((1, 1000), 1) == []
