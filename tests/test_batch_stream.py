"""The epoch plan shared by the ranks of a distributed run: each rank its own disjoint batches, all ranks at one
position, and one rank's share of the plan exactly the batches a single process would have drawn there."""
import numpy as np

from unmt.data.corpus import BatchStream


class Sentences:
    """A corpus of `n` sentences of varied length whose rows are their own indices."""

    def __init__(self, n: int):
        self.lengths = np.random.default_rng(0).integers(3, 20, size=n)

    def rows(self, kept):
        return [int(i) for i in kept]


def test_ranks_draw_disjoint_shares_of_one_plan_in_step():
    corpus = Sentences(300)
    ranks = [BatchStream(corpus, max_tokens=60, seed=4, share=(r, 2)) for r in range(2)]
    plan = [corpus.rows(kept) for kept in ranks[0]._make_plan()]
    drawn = [[next(stream) for _ in range(len(plan) // 2)] for stream in ranks]
    for i in range(len(plan) // 2):
        assert drawn[0][i] == plan[2 * i] and drawn[1][i] == plan[2 * i + 1]
        assert not set(drawn[0][i]) & set(drawn[1][i])
    assert ranks[0].state_dict() == ranks[1].state_dict()  # one position for the whole world
    covered = {i for rows in drawn[0] + drawn[1] for i in rows}
    assert len(covered) > 0.9 * 300  # an epoch still covers (nearly) the whole corpus


def test_the_ranks_of_a_step_get_batches_of_alike_length():
    corpus = Sentences(2000)
    stream = BatchStream(corpus, max_tokens=200, seed=3, share=(0, 2))
    plan = stream._make_plan()
    longest = [int(corpus.lengths[b].max()) for b in plan]
    paired = np.mean([abs(longest[i] - longest[i + 1]) for i in range(0, len(plan) - 1, 2)])
    shuffled = np.mean([abs(a - b) for a, b in zip(longest, np.random.default_rng(0).permutation(longest))])
    assert paired < 0.5 * shuffled


def test_a_rank_resumes_its_share_exactly():
    corpus = Sentences(200)
    stream = BatchStream(corpus, max_tokens=50, seed=1, share=(1, 2))
    for _ in range(13):  # past an epoch's end
        next(stream)
    resumed = BatchStream(corpus, max_tokens=50, seed=1, share=(1, 2))
    resumed.load_state_dict(stream.state_dict())
    assert [next(resumed) for _ in range(5)] == [next(stream) for _ in range(5)]
