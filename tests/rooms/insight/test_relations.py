"""The relation analysis on graphs whose answer is known: a planted partition, two groups
joined by one broker, and members without any relation."""

from __future__ import annotations

import itertools
import random

import igraph
import pytest

from rooms.insight.relations import analyse, betweenness_sample


def test_communities_of_a_planted_partition_are_found() -> None:
    # Four groups of 25: inside a group 50% of pairs are related, across groups 1%.
    igraph.set_random_number_generator(random.Random(7))
    inside, across = 0.5, 0.01
    planted = igraph.Graph.SBM(
        [[inside if i == j else across for j in range(4)] for i in range(4)], [25] * 4
    )
    igraph.set_random_number_generator(random)
    weights = {(min(a, b), max(a, b)): 1 for a, b in planted.get_edgelist()}
    found = analyse(weights, range(100))
    truth = [list(range(n, n + 25)) for n in range(0, 100, 25)]
    assert sorted(found["communities"]) == truth
    assert found["modularity"] > 0.6
    assert found["isolated"] == 0


def test_the_member_joining_two_groups_has_the_highest_betweenness() -> None:
    left, right = range(0, 5), range(5, 10)
    weights = {pair: 3 for group in (left, right) for pair in itertools.combinations(group, 2)}
    weights |= {(4, 10): 1, (5, 10): 1}  # member 10 knows one person on each side
    found = analyse(weights, [*range(11), 11, 12])  # 11 and 12 know nobody
    ranked = sorted(found["betweenness"], key=found["betweenness"].get, reverse=True)
    assert ranked[0] == 10
    assert found["isolated"] == 2
    assert [sorted(c) for c in found["communities"]][:2] in (
        [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9, 10]],
        [[0, 1, 2, 3, 4, 10], [5, 6, 7, 8, 9]],
    )


def test_a_graph_without_relations_has_no_communities() -> None:
    found = analyse({}, [1, 2, 3])
    assert (found["communities"], found["modularity"], found["isolated"]) == ([], 0.0, 3)


@pytest.mark.parametrize(
    ("nodes", "edges", "sample"),
    [
        (300, 10_000, None),
        (2_000, 13_000, 300),
        (100_000, 200_000, 150),
        (100_000, 650_000, 46),
        (1_000_000, 9_000_000, 10),
    ],
)
def test_betweenness_samples_fewer_sources_on_big_graphs(
    nodes: int, edges: int, sample: int | None
) -> None:
    assert betweenness_sample(nodes, edges) == sample
