"""Initialisation from the aligned space: subword embeddings of translations start close, and training uses
the aligned-space lexicon and embeddings when the config asks for them."""
import json
import shutil

import numpy as np
import pytest
import torch

from tests.conftest import TINY
from unmt.cli import main
from unmt.data.toy import NOUNS, generate_toy_corpus
from unmt.data.vocab import Vocabulary
from unmt.lexicon.subword_init import aligned_subword_embeddings

pytestmark = pytest.mark.slow  # the learning and fault tier: `python -m pytest -m "not slow"` skips it


def test_aligned_subword_embeddings_put_translations_together():
    corpus = generate_toy_corpus(n_train=4000, n_valid=1, n_test=1, seed=3)
    vocab = Vocabulary.train({"en": iter(corpus.train_en), "fr": iter(corpus.train_fr)}, 600, "unigram")
    lines = {"en": corpus.train_en, "fr": corpus.train_fr}
    vectors, found, criterion = aligned_subword_embeddings(vocab, lines, ("en", "fr"), dim=32, method="identical")
    ids = lambda word: vocab.sp.piece_to_id("▁" + word)  # noqa: E731
    pairs = [(ids(n[0]), ids(n[2])) for n in NOUNS if found[ids(n[0])] and found[ids(n[2])] and ids(n[0]) != ids(n[2])]
    assert len(pairs) >= 10
    matched = np.mean([float(vectors[a] @ vectors[b]) for a, b in pairs])
    shuffled = np.mean([float(vectors[a] @ vectors[b]) for (a, _), (_, b) in zip(pairs, pairs[1:] + pairs[:1])])
    assert matched > shuffled + 0.1
    assert torch.allclose(vectors[found].norm(dim=1), torch.ones(int(found.sum())), atol=1e-5)
    assert 0 < criterion <= 1  # a mean CSLS cosine of a map that brought the spaces together


@pytest.mark.parametrize("method", ["identical", "identical_self_learning"])
def test_training_with_aligned_lexicon_and_embeddings(tmp_path, method):
    checkpoints = tmp_path / "ck"
    code = main([
        "--quiet", "--checkpoints-dir", str(checkpoints), "train", "--src", "en", "--tgt", "fr", "--run", "r",
        "--max-steps", "10", *TINY, "--set", f"back_translation.lexicon_method={method}", "--set",
        f"pretraining.init_embeddings={method}"
    ])
    assert code == 0
    lexicon = json.loads((checkpoints / "r" / "lexicon.json").read_text())
    assert set(lexicon) == {"en", "fr"} and lexicon["fr"]["Marie"] == "Marie"


def test_aligned_table_is_reused_from_the_run_folder_and_redone_for_another_width(tmp_path, monkeypatch):
    import unmt.translation.starting_points as train_module

    calls = []
    real = train_module.aligned_subword_embeddings
    monkeypatch.setattr(train_module, "aligned_subword_embeddings", lambda *a, **k: calls.append(a[3]) or real(*a, **k))
    checkpoints = tmp_path / "ck"

    def start(*extra):  # a fresh start in the same run folder: step 0 again, so the embeddings are initialised again
        args = ["--quiet", "--checkpoints-dir", str(checkpoints), "train", "--src", "en", "--tgt", "fr", "--run", "r",
                "--max-steps", "1", *TINY, "--set", "pretraining.init_embeddings=identical", *extra]
        assert main(args) == 0
        for step in (checkpoints / "r").glob("step-*"):
            shutil.rmtree(step)
        (checkpoints / "r" / "latest").unlink(missing_ok=True)
        return torch.load(checkpoints / "r" / "aligned_embeddings.pt", weights_only=True)

    first = start()
    second = start("--resume")  # nothing to resume: starts from scratch, and finds the table
    assert len(calls) == 1 and torch.equal(first["vectors"], second["vectors"])
    wider = start("--resume", "--set", "model.d_model=48")
    assert calls[-1] == 48 and wider["vectors"].shape[1] == 48
