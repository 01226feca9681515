"""The dictionary-seeded alignment: a few dozen dictionary pairs, some of them wrong, recover a rotation between two
spaces that share no spelling; pairs are found through case and through a subword table; too few pairs are refused
in one sentence; the filled lexicon keeps every dictionary entry and translates the words the dictionary lacks."""
import numpy as np
import pytest

from tests.test_alignment import clustered_pair
from unmt.data.toy import NOUNS, VERBS, generate_toy_corpus
from unmt.errors import DataError
from unmt.lexicon.dictionary_seed import dictionary_map, filled_lexicon, seed_pairs
from unmt.lexicon.embeddings import WordEmbeddings
from unmt.lexicon.evaluation import precision_at_k


@pytest.mark.parametrize("seed", [0, 1])
def test_forty_dictionary_pairs_with_a_quarter_wrong_recover_the_rotation(seed):
    source, target, gold = clustered_pair(seed=seed)
    assert precision_at_k(source, target, np.eye(8), gold)["p@1"] < 0.05
    rng = np.random.default_rng(seed)
    words = rng.choice(1000, size=40, replace=False)
    # a general dictionary lists senses the corpus never uses: every fourth pair points at another word
    dictionary = [(f"s{i}", f"t{words[(k + 1) % 40] if k % 4 == 0 else i}") for k, i in enumerate(words)]
    W = dictionary_map(source, target, seed_pairs(dictionary, source, target))
    assert precision_at_k(source, target, W, gold)["p@1"] > 0.9


def test_seed_pairs_match_lower_cased_headwords_and_map_words_to_subwords():
    space = WordEmbeddings(["▁Dog", "▁cat", "s"], np.eye(3), np.ones(3))
    other = WordEmbeddings(["▁chien", "▁Chat", "▁x"], np.eye(3), np.ones(3))
    pieces = {"dog": None, "Dog": "▁Dog", "cat": "▁cat", "chien": "▁chien", "Chat": "▁Chat", "chat": None,
              "cats": None, "Cats": None}
    pairs = seed_pairs([("dog", "chien"), ("cat", "chat"), ("cats", "chats")], space, other,
                       lambda word: pieces.get(word))
    assert pairs == [(0, 0), (1, 1)]  # "Dog" and "Chat" found capitalised; "cats" has no one-piece form


def test_too_few_pairs_are_refused_in_one_sentence():
    source, target, _ = clustered_pair()
    with pytest.raises(DataError, match="only 3 words"):
        dictionary_map(source, target, seed_pairs([("s1", "t1"), ("s2", "t2"), ("s3", "t3"), ("x", "y")],
                                                  source, target))


def corpus(words, transitions, seed, n=6000):
    """Sentences drawn from a first-order chain over `words`: both languages follow the same chain (a word and its
    translation have the same neighbours) but are drawn apart, so no sentence of one translates one of the other."""
    rng = np.random.default_rng(seed)
    cumulative = np.cumsum(transitions, axis=1)
    lines, state = [], 0
    for _ in range(n):
        sentence = []
        for u in rng.random(8):
            state = min(int(np.searchsorted(cumulative[state], u)), len(words) - 1)
            sentence.append(words[state])
        lines.append(" ".join(sentence))
    return lines


def test_filled_lexicon_keeps_the_dictionary_and_translates_what_it_lacks():
    n = 200  # the dictionary's half is more pairs than the embeddings have dimensions (50)
    english, french = [f"e{i}" for i in range(n)], [f"f{i}" for i in range(n)]
    transitions = np.random.default_rng(0).dirichlet(np.full(n, 0.05), size=n)
    english_lines, french_lines = corpus(english, transitions, seed=1), corpus(french, transitions, seed=2)
    dictionary = {f"e{i}": f"f{i}" for i in range(0, n, 2)}
    dictionary["e0"] = "f1"  # a wrong entry: the dictionary still wins for its own words
    reverse = {t: s for s, t in dictionary.items()}
    forward, backward = filled_lexicon(english_lines, french_lines, dictionary, reverse, seed=0)
    assert all(forward[w] == t for w, t in dictionary.items())
    lacking = [f"e{i}" for i in range(1, n, 2)]
    right = sum(forward.get(w) == f"f{w[1:]}" for w in lacking)
    assert right >= 0.8 * len(lacking), right
    assert set(backward) >= set(french) - set(reverse)


def test_a_toy_nouns_dictionary_fills_in_most_verbs():
    """On the toy corpus (monolingual halves), a dictionary of nouns alone aligns the word spaces well enough that
    most verbs, which no dictionary entry names, get their right translation."""
    corpus = generate_toy_corpus(n_train=4000, n_valid=1, n_test=1, seed=3)
    nouns = {n[0]: n[2] for n in NOUNS} | {n[1]: n[3] for n in NOUNS}
    forward, backward = filled_lexicon(corpus.train_en, corpus.train_fr, nouns, {t: s for s, t in nouns.items()})
    verbs = {v[0]: v[2] for v in VERBS} | {v[1]: v[3] for v in VERBS}
    assert sum(forward.get(en) == fr for en, fr in verbs.items()) >= 0.5 * len(verbs)
    assert sum(backward.get(fr) == en for en, fr in verbs.items()) >= 0.5 * len(verbs)
