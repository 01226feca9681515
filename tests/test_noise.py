import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from unmt.data.noise import NoiseConfig, corrupt, split_words, word_blank, word_dropout, word_shuffle

sentences = st.lists(st.integers(min_value=10, max_value=10_000), min_size=0, max_size=40)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


@given(sentences, st.integers(min_value=0, max_value=8), seeds)
def test_shuffle_is_a_permutation_with_bounded_displacement(words, k, seed):
    shuffled = word_shuffle(list(range(len(words))), k, np.random.default_rng(seed))
    assert sorted(shuffled) == list(range(len(words)))
    for new_position, old_position in enumerate(shuffled):
        assert abs(new_position - old_position) <= k


def test_shuffle_reaches_the_maximum_displacement_but_not_beyond():
    rng = np.random.default_rng(0)
    displacements = set()
    for _ in range(2000):
        shuffled = word_shuffle(list(range(10)), 3, rng)
        displacements |= {abs(new - old) for new, old in enumerate(shuffled)}
    assert max(displacements) == 3


@given(sentences, st.floats(min_value=0, max_value=0.99), seeds)
def test_dropout_keeps_order_and_at_least_one_word(words, p, seed):
    kept = word_dropout(words, p, np.random.default_rng(seed))
    if words:
        assert len(kept) >= 1
    iterator = iter(words)  # kept is a subsequence of words
    assert all(any(w == x for x in iterator) for w in kept)


def test_dropout_rate_matches_p():
    rng = np.random.default_rng(1)
    kept = sum(len(word_dropout(list(range(20)), 0.3, rng)) for _ in range(2000))
    assert abs(1 - kept / 40_000 - 0.3) < 0.02


@given(sentences, st.floats(min_value=0, max_value=1), seeds)
def test_blank_replaces_words_in_place(words, p, seed):
    blanked = word_blank(words, p, -1, np.random.default_rng(seed))
    assert len(blanked) == len(words)
    assert all(b == w or b == -1 for b, w in zip(blanked, words))


@given(st.lists(st.tuples(st.integers(0, 50), st.booleans()), max_size=40), seeds)
@settings(max_examples=50)
def test_noise_never_splits_a_word(tokens, seed):
    ids = [t for t, _ in tokens]
    starts = [s for _, s in tokens]
    words = split_words(ids, starts)
    assert [t for w in words for t in w] == ids
    noisy = corrupt(words, NoiseConfig(0.2, 3, 0.2), ["BLANK"], np.random.default_rng(seed))
    assert all(w == ["BLANK"] or w in words for w in noisy)


def test_zero_noise_is_identity():
    words = [[1], [2, 3], [4]]
    assert corrupt(words, NoiseConfig(0, 0, 0), [0], np.random.default_rng(0)) == words
