"""Cross-lingual embeddings: skip-gram, the adversarial map, refinement, precision@k and the IBM-1 test dictionary."""
import numpy as np
import pytest
import torch

from unmt.lexicon.adversarial_map import AdversarialMapConfig, adversarial_map, orthogonalize_
from unmt.lexicon.align import identical_strings_map, mean_csls_cosine, refine
from unmt.lexicon.embeddings import WordEmbeddings, normalize
from unmt.lexicon.evaluation import precision_at_k, read_dictionary, write_dictionary
from unmt.lexicon.ibm1 import test_dictionary as build_test_dictionary
from unmt.lexicon.induce import translate_word_by_word
from unmt.lexicon.skipgram import train_skipgram
from unmt.lexicon.vectors_io import VectorFileError, read_vectors, write_vectors


def clustered_pair(n=1000, dim=8, clusters=20, noise=0.02, seed=0):
    """Source vectors from a mixture of unequal clusters; target = a random rotation of them plus noise, with
    no shared spelling. Unlike an isotropic cloud, the clusters make the rotation identifiable from the two
    distributions alone, which is what adversarial alignment relies on."""
    rng = np.random.default_rng(seed)
    centres = 2 * rng.normal(size=(clusters, dim))
    x = normalize(
        centres[rng.choice(clusters, size=n, p=rng.dirichlet(np.ones(clusters)))] + 0.4 * rng.normal(size=(n, dim))
    )
    rotation, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    y = normalize(x @ rotation.T + noise * rng.normal(size=(n, dim)))
    order = rng.permutation(n)
    source = WordEmbeddings([f"s{i}" for i in range(n)], x, np.ones(n))
    target = WordEmbeddings([f"t{i}" for i in order], y[order], np.ones(n))
    return source, target, {f"s{i}": {f"t{i}"} for i in range(n)}


@pytest.mark.parametrize("seed", [0, 1])
def test_adversarial_map_recovers_a_rotation_without_any_dictionary(seed):
    source, target, gold = clustered_pair(seed=seed)
    assert precision_at_k(source, target, np.eye(8), gold)["p@1"] < 0.05  # the identity start knows nothing
    config = AdversarialMapConfig(epochs=4, steps_per_epoch=1000, most_frequent=1000, hidden=128, seed=seed)
    W, history = adversarial_map(source, target, config)
    refined = refine(source, target, W, iterations=3, max_rank=1000)
    assert precision_at_k(source, target, refined, gold)["p@1"] > 0.9
    assert len(history) == 4 and all(0 <= h["d_accuracy"] <= 1 for h in history)


def test_refinement_keeps_the_map_that_the_criterion_prefers():
    source, target, gold = clustered_pair(seed=3)
    rotation_guess = identical_strings_map(
        WordEmbeddings(["a", "b", *source.words[2:]], source.vectors, source.counts),
        WordEmbeddings(["a", "b", *target.words[2:]], target.vectors, target.counts),
    )  # two wrong seeds: a poor start
    refined = refine(source, target, rotation_guess, iterations=3)
    assert mean_csls_cosine(source, target, refined) >= mean_csls_cosine(source, target, rotation_guess)


def test_orthogonalization_pulls_a_map_towards_orthogonal():
    W = torch.eye(6) + 0.1 * torch.randn(6, 6, generator=torch.Generator().manual_seed(0))
    before = torch.linalg.matrix_norm(W @ W.T - torch.eye(6))
    for _ in range(50):
        orthogonalize_(W, 0.05)
    assert torch.linalg.matrix_norm(W @ W.T - torch.eye(6)) < 0.1 * before


def test_precision_at_k_counts_hits_in_the_top_k():
    vectors = normalize(np.eye(4) + 0.01)
    source = WordEmbeddings(["a", "b", "c", "d"], vectors, np.ones(4))
    target = WordEmbeddings(["A", "B", "C", "D"], vectors, np.ones(4))
    gold = {"a": {"A"}, "b": {"C"}, "zzz": {"A"}}  # b is wrong; zzz is unknown and not counted
    scores = precision_at_k(source, target, np.eye(4), gold, ks=(1, 4))
    assert scores == {"p@1": 0.5, "p@4": 1.0, "words": 2}


def test_skipgram_puts_distributional_twins_together():
    lines = [["the", "cat", "eats", "fish"], ["the", "dog", "eats", "meat"], ["a", "cat", "eats", "meat"],
             ["a", "dog", "eats", "fish"], ["the", "car", "needs", "fuel"], ["a", "car", "needs", "oil"]] * 100
    embeddings = train_skipgram(lines, dim=10, window=2, epochs=5, min_count=1, subsample=1.0, seed=0)
    vector = dict(zip(embeddings.words, embeddings.vectors))
    assert vector["cat"] @ vector["dog"] > vector["cat"] @ vector["car"] + 0.2
    assert embeddings.words[0] == "eats"  # ordered by frequency


def test_vectors_round_trip_and_bad_files(tmp_path):
    embeddings = WordEmbeddings(
        ["x", "y", "z"], normalize(np.random.default_rng(0).normal(size=(3, 4))), np.array([9.0, 5, 2])
    )
    write_vectors(tmp_path / "e.vec", embeddings)
    back = read_vectors(tmp_path / "e.vec")
    assert back.words == embeddings.words and np.allclose(back.vectors, embeddings.vectors, atol=1e-5)
    assert list(back.counts) == [9, 5, 2]
    (tmp_path / "bad.vec").write_text("2 3\nx 0.1 0.2\n")
    with pytest.raises(VectorFileError, match="bad.vec:2"):
        read_vectors(tmp_path / "bad.vec")
    (tmp_path / "nohead.vec").write_text("x 0.1 0.2\n")
    with pytest.raises(VectorFileError, match="header"):
        read_vectors(tmp_path / "nohead.vec")


def test_ibm1_test_dictionary_recovers_a_hidden_word_mapping(tmp_path):
    """A parallel corpus made by translating random sentences word by word through a known mapping and
    shuffling the word order: IBM-1 in both directions must find the mapping."""
    rng = np.random.default_rng(0)
    mapping = {f"e{i}": f"f{i}" for i in range(30)}
    source, target = [], []
    for _ in range(600):
        sentence = list(rng.choice(list(mapping), size=rng.integers(3, 8), replace=False))
        source.append(sentence)
        target.append([mapping[w] for w in rng.permutation(sentence)])
    gold = build_test_dictionary(source, target, min_count=5)
    assert gold and all(gold[e] == {mapping[e]} for e in gold)
    assert len(gold) >= 28
    write_dictionary(tmp_path / "d.txt", gold)
    assert read_dictionary(tmp_path / "d.txt") == gold


def test_word_by_word_keeps_unknown_words_and_recases():
    lexicon = {"the": "le", "cat": "chat", "Paris": "Paris"}
    assert translate_word_by_word("The cat sees Paris .", lexicon) == "Le chat sees Paris ."
