"""Several objectives: what "non-dominated" means in nnrun, said once, for ``nnrun show``, the
report's Pareto front, ``nnrun check`` and successive halving.

A point is a vector of objective values, one per (metric, goal) of the sweep. Point a
*dominates* point b when a is at least as good as b in every objective and strictly better in at
least one (better: higher for ``maximize``, lower for ``minimize``), the definition of Deb et
al. (2002) and of Optuna's ``study.best_trials``. Hence ties: two points with equal values in
every objective do not dominate each other, so both are on the front if either is; no point is
left off the front for a tie. A point with a missing or non-finite value in any objective
(a diverged or failed trial) is on no front: it is dominated by every complete point and ranks
after all of them.

*Non-dominated rank* (non-dominated sorting): rank 0 is the front of all complete points, rank 1
the front of what is left once rank 0 is removed, and so on. The *crowding distance* of a point
within its rank is NSGA-II's: for each objective, sort the rank's points by it; the two ends get
infinity, every other point the gap between its neighbours divided by the objective's range
over the rank; the distances of the objectives add up. An objective whose values are all equal
within the rank adds nothing (no infinity for ends that are not ends of anything), so with a
single objective a rank holds equal values, all at distance 0, and :func:`promotion_order`
reduces to "best value first, ties in their given order".

Pure numpy; nothing else of nnrun.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

Point = Sequence[float | None]


def as_minimized(points: Sequence[Point] | np.ndarray, goals: Sequence[str]) -> np.ndarray:
    """Points as a float (n, k) array where lower is better in every column: maximized columns
    negated, missing and non-finite values NaN."""
    k = len(goals)
    array = np.full((len(points), k), np.nan)
    for row, point in enumerate(points):
        if point is None:
            continue
        for column, value in enumerate(point):
            if value is not None and math.isfinite(float(value)):
                array[row, column] = float(value)
    signs = np.array([-1.0 if goal == "maximize" else 1.0 for goal in goals])
    return array * signs


def dominates(a: Point, b: Point, goals: Sequence[str]) -> bool:
    """Whether point ``a`` dominates point ``b`` (see the module docstring)."""
    both = as_minimized([a, b], goals)
    return _dominates(both[0], both[1])


def _dominates(a: np.ndarray, b: np.ndarray) -> bool:
    """For minimized complete rows: a <= b everywhere and a < b somewhere."""
    return bool(np.all(a <= b) and np.any(a < b))


def complete(points: Sequence[Point] | np.ndarray, goals: Sequence[str]) -> np.ndarray:
    """A boolean mask: the points with a finite value in every objective."""
    return ~np.isnan(as_minimized(points, goals)).any(axis=1)


def non_dominated_ranks(points: Sequence[Point] | np.ndarray, goals: Sequence[str]
                        ) -> np.ndarray:
    """Each point's non-dominated rank (0: the Pareto front); -1 for an incomplete point.

    Repeated peeling of the front, O(k n^2) a front: sweeps have hundreds of configurations,
    not millions.
    """
    values = as_minimized(points, goals)
    ranks = np.full(len(values), -1, dtype=int)
    left = list(np.flatnonzero(~np.isnan(values).any(axis=1)))
    rank = 0
    while left:
        block = values[left]
        # dominated[i]: some j in the block is <= row i everywhere and < somewhere
        no_worse = (block[:, None, :] <= block[None, :, :]).all(axis=2)  # [j, i]: j <= i
        better = (block[:, None, :] < block[None, :, :]).any(axis=2)
        dominated = (no_worse & better).any(axis=0)
        front = [index for index, hit in zip(left, dominated, strict=True) if not hit]
        ranks[front] = rank
        left = [index for index, hit in zip(left, dominated, strict=True) if hit]
        rank += 1
    return ranks


def non_dominated(points: Sequence[Point] | np.ndarray, goals: Sequence[str]) -> np.ndarray:
    """A boolean mask: the points on the Pareto front (rank 0)."""
    return non_dominated_ranks(points, goals) == 0


def crowding_distances(points: Sequence[Point] | np.ndarray, goals: Sequence[str],
                       members: Sequence[int]) -> dict[int, float]:
    """NSGA-II's crowding distance of each point of ``members`` (indexes of complete points of
    one rank) within that set; see the module docstring for ties and constant objectives."""
    values = as_minimized(points, goals)
    distance = {index: 0.0 for index in members}
    if len(members) < 2:
        return {index: math.inf for index in members}
    for column in range(values.shape[1]):
        # a stable sort on (value, index): equal values keep their given order
        ordered = sorted(members, key=lambda i: (values[i, column], i))
        low, high = values[ordered[0], column], values[ordered[-1], column]
        span = high - low
        if span == 0:
            continue
        distance[ordered[0]] = distance[ordered[-1]] = math.inf
        for before, index, after in zip(ordered, ordered[1:], ordered[2:], strict=False):
            distance[index] += (values[after, column] - values[before, column]) / span
    return distance


def promotion_order(points: Sequence[Point] | np.ndarray, goals: Sequence[str]) -> list[int]:
    """Indexes of ``points`` from best to worst: by non-dominated rank, then by crowding
    distance within the rank (larger first: the front is kept spread out), then by index; the
    incomplete points last, by index. Deterministic: the same values give the same order."""
    ranks = non_dominated_ranks(points, goals)
    order: list[int] = []
    for rank in range(int(ranks.max(initial=-1)) + 1):
        members = [int(i) for i in np.flatnonzero(ranks == rank)]
        crowding = crowding_distances(points, goals, members)
        order += sorted(members, key=lambda i: (-crowding[i], i))
    return order + [int(i) for i in np.flatnonzero(ranks == -1)]
