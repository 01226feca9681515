"""The shared-spelling signals of a pair: high for the toy English-French (shared names and numbers), near zero
once one side is written in another alphabet, and recorded in a new run's setup line."""
import json

from tests.conftest import TINY
from unmt.cli import main
from unmt.data.toy import generate_toy_corpus
from unmt.data.vocab import Vocabulary
from unmt.lexicon.pair_signals import pair_signals

# French letters moved to Cyrillic ones: the same sentences, but no word spelled as in English
CYRILLIC = str.maketrans("abcdefghijklmnopqrstuvwxyzMPJL", "абцдефгхийклмнопярстуввхызМПЖЛ")


def corpora():
    corpus = generate_toy_corpus(n_train=1500, n_valid=1, n_test=1, seed=5)
    return corpus.train_en, corpus.train_fr, [line.translate(CYRILLIC) for line in corpus.train_fr]


def test_a_pair_in_two_alphabets_shares_far_less_than_one_in_the_same_alphabet():
    english, french, cyrillic = corpora()
    same = pair_signals(english, french)
    other = pair_signals(english, cyrillic)
    assert same["anchors"] >= 5 and same["shared_words"] >= 10
    # numbers and punctuation stay shared (as between English and Czech); names and cognates do not
    assert other["shared_words"] < same["shared_words"] / 2 and other["anchors"] < same["anchors"]
    assert 0 <= other["shared_word_share"] < same["shared_word_share"] <= 1


def test_the_subword_share_falls_when_the_spellings_part():
    english, french, cyrillic = corpora()
    shares = []
    for other in (french, cyrillic):
        vocab = Vocabulary.train({"en": iter(english), "xx": iter(other)}, 300, "unigram")
        shares.append(pair_signals(english, other, vocab)["shared_subword_share"])
    assert 0 <= shares[1] < shares[0] <= 1
    assert shares[0] - shares[1] > 0.2


def test_a_new_run_records_the_signals_in_its_setup_line(tmp_path):
    checkpoints = tmp_path / "ck"
    assert main(["--quiet", "--checkpoints-dir", str(checkpoints), "train", "--src", "en", "--tgt", "fr", "--run", "r",
                 "--max-steps", "1", *TINY, "--set", "pretraining.init_embeddings=identical"]) == 0
    setup = json.loads((checkpoints / "r" / "metrics.jsonl").read_text().splitlines()[0])
    assert setup["kind"] == "setup"
    pair = setup["pair"]
    assert pair["shared_words"] > 0 and pair["anchors"] > 0 and 0 < pair["shared_subword_share"] <= 1
    assert 0 < pair["embedding_alignment_criterion"] <= 1
