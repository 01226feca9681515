"""The joint SentencePiece vocabulary round-trips text: fuzzed with hypothesis."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unmt.data.toy import generate_toy_corpus
from unmt.data.vocab import EOS, UNK, Vocabulary

corpus = generate_toy_corpus(n_train=1500, n_valid=1, n_test=1, seed=4)
ALPHABET = sorted({c for line in corpus.train_en + corpus.train_fr for c in line} - {" "})


@pytest.fixture(scope="module")
def vocab():
    return Vocabulary.train({"en": iter(corpus.train_en), "fr": iter(corpus.train_fr)}, 400, "unigram")


words = st.text(alphabet=ALPHABET, min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(words, min_size=1, max_size=15), st.sampled_from([" ", "  ", "\t"]))
def test_text_in_the_training_alphabet_round_trips(vocab, tokens, separator):
    text = separator.join(tokens)
    ids = vocab.encode(text)
    assert UNK not in ids and EOS not in ids
    assert vocab.decode(ids) == " ".join(tokens)  # whitespace runs collapse to one space, nothing else changes


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_any_text_encodes_and_decodes_without_error(vocab, text):
    ids = vocab.encode(text)
    assert all(0 <= i < len(vocab) for i in ids)
    decoded = vocab.decode(ids)
    assert "\n" not in decoded and "\r" not in decoded  # one line in, one line out depends on it
