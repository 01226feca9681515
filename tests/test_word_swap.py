"""Code-switched denoising (noise.word_translate): words replaced by their word-by-word translations, only where
the lexicon has them, with draws that leave the plain noise model untouched when the option is off."""
from functools import partial

import numpy as np
import pytest

from tests.conftest import TINY
from unmt.data.toy import NOUNS, generate_toy_corpus
from unmt.data.vocab import Vocabulary
from unmt.lexicon.induce import translate_word_by_word
from unmt.translation.word_swap import WordSwap


@pytest.fixture(scope="module")
def vocab():
    corpus = generate_toy_corpus(n_train=600, seed=0)
    return Vocabulary.train({"en": iter(corpus.train_en), "fr": iter(corpus.train_fr)}, 300, "unigram")


def words_of(vocab, text):
    return [vocab.encode(word) for word in text.split()]


def test_every_hit_word_with_an_entry_is_translated_and_the_others_kept(vocab):
    swap = WordSwap({"fr": partial(translate_word_by_word, lexicon={"dog": "chien", "cat": "chat"})}, vocab)
    words = words_of(vocab, "the dog sees the cat .")
    swapped = swap(words, "fr", 0.999999, np.random.default_rng(0))
    assert [vocab.decode(w) for w in swapped] == ["the", "chien", "sees", "the", "chat", "."]


def test_the_share_of_words_swapped_follows_p(vocab):
    swap = WordSwap({"fr": partial(translate_word_by_word, lexicon={"dog": "chien"})}, vocab)
    words = words_of(vocab, "dog " * 2000)
    swapped = swap(words, "fr", 0.3, np.random.default_rng(1))
    share = np.mean([vocab.decode(w) == "chien" for w in swapped])
    assert 0.26 < share < 0.34


def test_off_it_draws_nothing(vocab):
    swap = WordSwap({"fr": partial(translate_word_by_word, lexicon={"dog": "chien"})}, vocab)
    rng, untouched = np.random.default_rng(2), np.random.default_rng(2)
    words = words_of(vocab, "the dog runs .")
    assert swap(words, "fr", 0.0, rng) == words
    assert rng.random() == untouched.random()


@pytest.mark.slow
@pytest.mark.parametrize("p", [0.0, 0.5])
def test_denoising_inputs_carry_the_dictionary_translations(tmp_path, monkeypatch, p):
    """In-process: the English denoising inputs of the first steps hold the dictionary's French nouns exactly when
    the option is on, while their targets stay English."""
    from unmt.cli import main
    from unmt.translation.step import UNMTStep

    seen = []
    real = UNMTStep.loss_groups

    def watched(self, batch, phase):
        groups = real(self, batch, phase)
        seen.extend((self.vocab, g) for g in groups if g.name == "ae_en")
        return groups

    monkeypatch.setattr(UNMTStep, "loss_groups", watched)
    dictionary = tmp_path / "nouns.txt"
    dictionary.write_text("".join(f"{n[0]} {n[2]}\n" for n in NOUNS))
    code = main(["--quiet", "--checkpoints-dir", str(tmp_path), "train", "--src", "en", "--tgt", "fr", "--run", "r",
                 "--max-steps", "3", *TINY, "--set", "runtime.threads=1", "--set", "losses.ae=1",
                 "--set", f"back_translation.dictionary={dictionary}", "--set", f"noise.word_translate={p}"])
    assert code == 0 and seen
    french = {n[2] for n in NOUNS} - {n[0] for n in NOUNS}  # "table", "bus", ... are English too
    vocab = seen[0][0]
    inputs = [set(vocab.decode(row).split()) for _, group in seen for row in group.source]
    targets = [set(vocab.decode(row).split()) for _, group in seen for row in group.target]
    assert not any(words & french for words in targets)
    with_french = sum(bool(words & french) for words in inputs) / len(inputs)
    assert (with_french > 0.2) if p > 0 else (with_french == 0)
