import numpy as np

from unmt.lexicon.align import align, induce_lexicon, mean_csls_cosine, procrustes
from unmt.lexicon.embeddings import WordEmbeddings, normalize, train_embeddings


def synthetic_pair(n_words=300, dim=20, noise=0.02, n_identical=15, seed=0):
    """Target vectors are a random rotation of the source ones plus noise; only `n_identical` words share a
    spelling (the seeds), the rest are spelled differently in the two 'languages'."""
    rng = np.random.default_rng(seed)
    source = normalize(rng.normal(size=(n_words, dim)))
    rotation, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    target = normalize(source @ rotation.T + noise * rng.normal(size=(n_words, dim)))
    src_words = [f"w{i}" for i in range(n_words)]
    tgt_words = [f"w{i}" if i < n_identical else f"m{i}" for i in range(n_words)]
    permutation = rng.permutation(n_words)  # the target vocabulary comes in another order
    counts = np.ones(n_words)
    return (
        WordEmbeddings(src_words, source, counts),
        WordEmbeddings([tgt_words[i] for i in permutation], target[permutation], counts),
        rotation,
    )


def test_procrustes_recovers_an_exact_rotation():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 8))
    rotation, _ = np.linalg.qr(rng.normal(size=(8, 8)))
    assert np.allclose(procrustes(x, x @ rotation.T), rotation, atol=1e-8)


def test_alignment_from_identical_strings_recovers_the_rotation():
    source, target, rotation = synthetic_pair()
    W = align(source, target)
    lexicon = induce_lexicon(source, target, W)
    correct = sum(lexicon[w] == ("w" if int(w[1:]) < 15 else "m") + w[1:] for w in source.words)
    assert correct / len(source.words) > 0.95
    assert np.abs(W - rotation).max() < 0.1
    assert mean_csls_cosine(source, target, W) > mean_csls_cosine(source, target, np.eye(20))


def test_count_embeddings_put_distributional_twins_together():
    lines = ["the cat eats fish", "the dog eats meat", "a cat eats meat", "a dog eats fish"] * 50
    lines += ["the car needs fuel", "a car needs oil"] * 50
    emb = train_embeddings(lines, dim=5, min_count=1)
    vec = dict(zip(emb.words, emb.vectors))
    assert vec["cat"] @ vec["dog"] > vec["cat"] @ vec["car"]


def test_lexicon_from_shared_anchors_on_the_toy_corpus():
    """End to end on monolingual toy text: far above chance (1/190) against the generator's own word pairs."""
    from unmt.data.toy import ADJECTIVES, NOUNS, VERBS, generate_toy_corpus
    from unmt.lexicon.induce import induce_lexicon, precision_at_1

    corpus = generate_toy_corpus(n_train=6000, n_valid=1, n_test=1, seed=2)
    lexicon = induce_lexicon(corpus.train_en, corpus.train_fr)
    gold = {n[0]: {n[2]} for n in NOUNS} | {v[0]: {v[2]} for v in VERBS} | {a[0]: set(a[1:5]) for a in ADJECTIVES}
    assert precision_at_1(lexicon.forward, gold) > 0.4
    assert lexicon.forward["Marie"] == "Marie"  # anchors map to themselves
