"""Initialisation from the aligned space: subword embeddings of translations start close, and training uses
the aligned-space lexicon and embeddings when the config asks for them."""
import json

import numpy as np
import torch

from tests.conftest import TINY
from unmt.cli import main
from unmt.data.toy import NOUNS, generate_toy_corpus
from unmt.data.vocab import Vocabulary
from unmt.lexicon.subword_init import aligned_subword_embeddings


def test_aligned_subword_embeddings_put_translations_together():
    corpus = generate_toy_corpus(n_train=4000, n_valid=1, n_test=1, seed=3)
    vocab = Vocabulary.train({"en": iter(corpus.train_en), "fr": iter(corpus.train_fr)}, 600, "unigram")
    lines = {"en": corpus.train_en, "fr": corpus.train_fr}
    vectors, found = aligned_subword_embeddings(vocab, lines, ("en", "fr"), dim=32, method="identical")
    ids = lambda word: vocab.sp.piece_to_id("▁" + word)  # noqa: E731
    pairs = [(ids(n[0]), ids(n[2])) for n in NOUNS if found[ids(n[0])] and found[ids(n[2])] and ids(n[0]) != ids(n[2])]
    assert len(pairs) >= 10
    matched = np.mean([float(vectors[a] @ vectors[b]) for a, b in pairs])
    shuffled = np.mean([float(vectors[a] @ vectors[b]) for (a, _), (_, b) in zip(pairs, pairs[1:] + pairs[:1])])
    assert matched > shuffled + 0.1
    assert torch.allclose(vectors[found].norm(dim=1), torch.ones(int(found.sum())), atol=1e-5)


def test_training_with_aligned_lexicon_and_embeddings(tmp_path):
    checkpoints = tmp_path / "ck"
    code = main([
        "--quiet", "--checkpoints-dir", str(checkpoints), "train", "--src", "en", "--tgt", "fr", "--run", "r",
        "--max-steps", "10", *TINY, "--set", "train.lexicon_method=identical", "--set", "train.init_embeddings=identical",
    ])
    assert code == 0
    lexicon = json.loads((checkpoints / "r" / "lexicon.json").read_text())
    assert set(lexicon) == {"en", "fr"} and lexicon["fr"]["Marie"] == "Marie"
