"""The Pareto front: the filter against a brute-force one and against Optuna's best_trials,
ranks, crowding distance and the promotion order of successive halving."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnrun.results.pareto import (
    crowding_distances,
    dominates,
    non_dominated,
    non_dominated_ranks,
    promotion_order,
)
from nnrun.search.halving import best_first

# Few distinct values, so that ties (equal in one objective, or in all) are common.
VALUE = st.one_of(st.sampled_from([0.0, 0.25, 0.5, 1.0, 2.0]),
                  st.floats(-10, 10, allow_nan=False), st.none(), st.just(math.nan))
GOAL = st.sampled_from(["maximize", "minimize"])


@st.composite
def problems(draw, max_objectives: int = 3):
    k = draw(st.integers(1, max_objectives))
    goals = draw(st.lists(GOAL, min_size=k, max_size=k))
    points = draw(st.lists(st.lists(VALUE, min_size=k, max_size=k), max_size=25))
    return points, goals


def better_or_equal(a: float, b: float, goal: str) -> bool:
    return a >= b if goal == "maximize" else a <= b


def brute_force_front(points, goals) -> list[bool]:
    """Straight from the definition: complete, and no complete point at least as good
    everywhere and strictly better somewhere."""
    def is_complete(point) -> bool:
        return all(v is not None and math.isfinite(v) for v in point)

    def beats(a, b) -> bool:
        return (all(better_or_equal(x, y, g) for x, y, g in zip(a, b, goals, strict=True))
                and any(x != y for x, y in zip(a, b, strict=True)))

    return [is_complete(p) and not any(is_complete(q) and beats(q, p) for q in points)
            for p in points]


@settings(max_examples=300, deadline=None)
@given(problems())
def test_the_front_is_the_brute_force_front(problem) -> None:
    points, goals = problem
    assert list(non_dominated(points, goals)) == brute_force_front(points, goals)


@settings(max_examples=200, deadline=None)
@given(problems())
def test_each_rank_is_the_front_of_what_the_ranks_before_leave(problem) -> None:
    points, goals = problem
    ranks = non_dominated_ranks(points, goals)
    left = [i for i, rank in enumerate(ranks) if rank >= 0]
    rank = 0
    while left:
        front = brute_force_front([points[i] for i in left], goals)
        assert [ranks[i] == rank for i in left] == front
        left = [i for i, on in zip(left, front, strict=True) if not on]
        rank += 1
    incomplete = [any(v is None or not math.isfinite(v) for v in p) for p in points]
    assert [rank == -1 for rank in ranks] == incomplete


@settings(max_examples=100, deadline=None)
@given(problems(max_objectives=3))
def test_the_front_is_optunas_best_trials_on_the_same_values(problem) -> None:
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    points, goals = problem
    study = optuna.create_study(directions=goals)
    complete = []
    for point in points:
        if all(v is not None and math.isfinite(v) for v in point):
            study.add_trial(optuna.trial.create_trial(
                values=[float(v) for v in point],
                distributions={}, params={}))
            complete.append(point)
    if len(goals) == 1:
        # a single objective: Optuna's best_trial is one of our front, whose values all tie
        if complete:
            mask = non_dominated(complete, goals)
            assert mask[study.best_trial.number]
            assert {complete[i][0] for i in range(len(complete)) if mask[i]} == {
                study.best_value}
        return
    best = {trial.number for trial in study.best_trials}
    mask = non_dominated(complete, goals)
    assert {i for i in range(len(complete)) if mask[i]} == best


def test_ties_are_all_on_the_front_and_do_not_dominate_each_other() -> None:
    goals = ["maximize", "minimize"]
    points = [[0.98, 100], [0.98, 100], [0.97, 50], [0.96, 100], [None, 10]]
    assert not dominates(points[0], points[1], goals)
    assert dominates(points[0], points[3], goals)
    assert list(non_dominated(points, goals)) == [True, True, True, False, False]
    assert list(non_dominated_ranks(points, goals)) == [0, 0, 0, 1, -1]


def test_crowding_distance_is_nsga2s() -> None:
    goals = ["minimize", "minimize"]
    points = [[0, 4], [1, 2], [2, 1], [4, 0]]
    distance = crowding_distances(points, goals, [0, 1, 2, 3])
    assert distance[0] == distance[3] == math.inf
    # point 1: neighbours 0 and 2 -> (2 - 0) / 4 + (4 - 1) / 4
    assert distance[1] == pytest.approx(2 / 4 + 3 / 4)
    assert distance[2] == pytest.approx(3 / 4 + 2 / 4)


def test_promotion_order_is_rank_then_crowding_then_index() -> None:
    goals = ["maximize", "minimize"]
    points = [[0.90, 300], [0.95, 500], [0.80, 100], [0.85, 200], [0.70, 600], [None, 1],
              [0.85, 200]]
    # front: 1 (0.95), 0, 3 and its tie 6, 2 (0.80/100); 4 is dominated; 5 incomplete
    order = promotion_order(points, goals)
    assert order[:2] == [1, 2]  # the two ends of the front: infinite crowding, by index
    assert set(order[2:5]) == {0, 3, 6} and order[5:] == [4, 5]
    assert order == promotion_order(points, goals)


@settings(max_examples=200, deadline=None)
@given(st.lists(VALUE, max_size=20), GOAL)
def test_one_objective_promotes_as_best_first(values, goal) -> None:
    """With one objective a rank holds equal values: rank, then index, is best_first."""
    assert promotion_order([[v] for v in values], [goal]) == best_first(values, goal)
