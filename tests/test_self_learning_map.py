"""The self-learning map (Artetxe et al. 2018): it recovers a rotation between two spaces that share no spelling,
where the identical-strings start has nothing (or only misleading strings) to start from; the method selection
by the unsupervised criterion; the subword-aware skip-gram; refusals of bad input. Seconds in all."""
import numpy as np
import pytest

from tests.test_alignment import clustered_pair
from unmt.errors import DataError
from unmt.lexicon.align import identical_strings_map, mean_csls_cosine, procrustes, refine
from unmt.lexicon.embeddings import WordEmbeddings
from unmt.lexicon.evaluation import precision_at_k
from unmt.lexicon.pipeline import align_embeddings, first_map, map_embeddings, select_method
from unmt.lexicon.self_learning_map import (
    SelfLearningConfig,
    initial_dictionary,
    reweighted_spaces,
    self_learning_map,
    symmetric_reweighting,
)
from unmt.lexicon.skipgram import char_ngrams, train_skipgram


def with_misleading_strings(source, target, n=2):
    """The first n words of each side renamed to the same strings although they do not translate each other."""
    shared = [f"name{i}" for i in range(n)]
    return (WordEmbeddings([*shared, *source.words[n:]], source.vectors, source.counts),
            WordEmbeddings([*shared, *target.words[n:]], target.vectors, target.counts))


def partial_overlap_pair(seed=0, shared=1000, own=200, dim=8):
    """Source: words 0..shared+own-1 of a noisy rotated pair; target: the translations of the first `shared` of
    them plus `own` words of its own. Each side is ranked by a noisy frequency, so the most frequent words of the
    two languages are not the same words."""
    rng = np.random.default_rng(seed)
    source, target, _ = clustered_pair(n=shared + 2 * own, dim=dim, noise=0.05, seed=seed)

    def subset(space, numbers, prefix):
        order = sorted(numbers, key=lambda i: (i + 1) * rng.lognormal(0, 0.5))  # noisy frequency rank
        index = space.index()
        rows = [index[f"{prefix}{i}"] for i in order]
        return WordEmbeddings([space.words[r] for r in rows], space.vectors[rows], np.ones(len(rows)))

    src = subset(source, range(shared + own), "s")
    tgt = subset(target, [*range(shared), *range(shared + own, shared + 2 * own)], "t")
    return src, tgt, {f"s{i}": {f"t{i}"} for i in range(shared)}


FAST = SelfLearningConfig(patience=3)


@pytest.mark.parametrize("seed", [0, 1])
def test_self_learning_recovers_a_rotation_with_no_shared_string(seed):
    source, target, gold = clustered_pair(seed=seed)
    with pytest.raises(DataError, match="fewer than 2 identical words"):
        identical_strings_map(source, target)  # nothing to start from
    result = self_learning_map(source, target, SelfLearningConfig(patience=3, seed=seed))
    assert precision_at_k(source, target, result.W, gold)["p@1"] > 0.95
    assert np.allclose(result.W @ result.W.T, np.eye(8), atol=1e-8)  # orthogonal
    keeps = [h["keep"] for h in result.history[1:]]
    assert keeps[0] == 0.1 and keeps[-1] == 1.0 and keeps == sorted(keeps)  # annealed up to deterministic


def test_self_learning_succeeds_where_misleading_shared_strings_fail():
    source, target, gold = clustered_pair(seed=3)
    source, target = with_misleading_strings(source, target)
    gold = {w: g for w, g in gold.items() if w in source.index()}
    identical = refine(source, target, identical_strings_map(source, target), iterations=3)
    assert precision_at_k(source, target, identical, gold)["p@1"] < 0.3
    W, report = first_map(source, target, "self_learning", seed=3)
    assert precision_at_k(source, target, W, gold)["p@1"] > 0.9
    assert report["self_learning"]["first_dictionary"] > 0 and report["self_learning"]["iterations"] > 0


@pytest.mark.parametrize("seed", [0, 1])
def test_unequal_vocabularies_and_frequency_orders(seed):
    source, target, gold = partial_overlap_pair(seed=seed)
    target_index = target.index()
    oracle = procrustes(source.vectors[[source.index()[w] for w in gold]],
                        target.vectors[[target_index[next(iter(g))] for g in gold.values()]])
    result = self_learning_map(source, target, SelfLearningConfig(init_words=600, patience=3))
    # as good as Procrustes on the true dictionary, which the noise keeps below 1
    assert (
        precision_at_k(source, target, result.W, gold)["p@1"]
        > precision_at_k(source, target, oracle, gold)["p@1"] - 0.03
    )


def test_the_first_dictionary_alone_is_better_than_chance():
    source, target, gold = clustered_pair(seed=0)
    pairs = initial_dictionary(source, target, n_words=1000)
    right = sum(target.words[j] in gold[source.words[i]] for i, j in pairs)
    assert right / len(pairs) > 0.05  # chance is 1 in 1,000


def test_the_same_seed_gives_the_same_map():
    source, target, _ = clustered_pair(seed=2)
    first, again = (self_learning_map(source, target, SelfLearningConfig(patience=2, seed=5)) for _ in range(2))
    assert np.array_equal(first.W, again.W) and first.dictionary == again.dictionary


def test_symmetric_reweighting_maps_dictionary_pairs_onto_each_other():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 6)) * np.linspace(0.5, 2, 6)  # unequal variances: whitening has work to do
    rotation, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    pairs = [(i, i) for i in range(300)]
    A, B = symmetric_reweighting(X, X @ rotation, pairs)
    assert np.allclose(X @ A, X @ rotation @ B, atol=1e-8)
    source, target, gold = clustered_pair(seed=4)
    result = self_learning_map(source, target, FAST)
    assert precision_at_k(*reweighted_spaces(source, target, result), np.eye(8), gold)["p@1"] > 0.95


def test_selection_by_the_criterion_alone():
    source, target, gold = clustered_pair(seed=3)
    source, target = with_misleading_strings(source, target)
    gold = {w: g for w, g in gold.items() if w in source.index()}
    W, report = select_method(source, target, ("identical", "self_learning"), refinements=2, seed=3)
    assert report["method"] == "self_learning" and report["selected_by"] == "criterion"
    scores = {m: c["criterion"] for m, c in report["candidates"].items()}
    assert scores["self_learning"] > scores["identical"]
    assert mean_csls_cosine(source, target, W) == pytest.approx(scores["self_learning"])
    _, with_gold = select_method(source, target, ("identical", "self_learning"), refinements=2, seed=3, gold=gold)
    assert with_gold["method"] == report["method"]  # the test dictionary is reported, never consulted
    assert with_gold["candidates"]["self_learning"]["stages"][-1]["p@1"] > 0.9


def test_auto_skips_identical_strings_when_none_are_shared():
    source, target, gold = clustered_pair(seed=1)
    W, report = map_embeddings(source, target, "auto", refinements=1, seed=1)
    assert report["method"] == "self_learning" and "identical" in report["skipped"]
    assert precision_at_k(source, target, W, gold)["p@1"] > 0.95


def test_self_learning_from_a_few_true_shared_strings():
    source, target, gold = clustered_pair(seed=2)
    with pytest.raises(DataError, match="fewer than 2 identical words"):
        first_map(source, target, "identical_self_learning")
    names = {f"s{i}": f"name{i}" for i in range(8)} | {f"t{i}": f"name{i}" for i in range(8)}  # 8 names both share
    source, target = (WordEmbeddings([names.get(w, w) for w in e.words], e.vectors, e.counts) for e in (source, target))
    gold = {names.get(w, w): {names.get(t, t) for t in g} for w, g in gold.items()}
    W, report = map_embeddings(source, target, "identical_self_learning", refinements=1)
    assert report["self_learning"]["first_dictionary"] == 8
    assert precision_at_k(source, target, W, gold)["p@1"] > 0.95


def test_the_lexicon_of_a_self_learning_method_comes_from_the_reweighted_spaces():
    source, target, gold = clustered_pair(seed=0)
    result = align_embeddings(source, target, "self_learning", refinements=1)
    assert result.report["lexicon_from"] == "re-weighted spaces"
    assert sum(result.forward[w] in g for w, g in gold.items()) / len(gold) > 0.95
    assert (
        "lexicon_from"
        not in align_embeddings(*with_misleading_strings(source, target), "identical", refinements=1).report
    )


@pytest.mark.parametrize(
    "make, phrase",
    [
        (lambda s, t: (s, WordEmbeddings(t.words, t.vectors[:, :4], t.counts)), "dimensions"),
        (lambda s, t: (WordEmbeddings(s.words[:1], s.vectors[:1], s.counts[:1]), t), "at least 2"),
        (lambda s, t: (WordEmbeddings(s.words, np.where(np.arange(8) == 0, np.nan, s.vectors), s.counts), t), "NaN"),
        (lambda s, t: (WordEmbeddings(s.words[:5], s.vectors, s.counts), t), "5 words but vectors"),
    ],
)
def test_bad_embeddings_are_refused_in_one_sentence(make, phrase):
    source, target, _ = clustered_pair(n=50)
    with pytest.raises(DataError, match=phrase):
        self_learning_map(*make(source, target), FAST)


@pytest.mark.parametrize(
    "config, phrase",
    [
        (SelfLearningConfig(initial_keep=0), "initial_keep"),
        (SelfLearningConfig(keep_multiplier=1), "keep_multiplier"), (SelfLearningConfig(patience=0), "patience"),
        (SelfLearningConfig(init_words=1, reweight=2), "init_words.*reweight")
    ],
)
def test_bad_settings_are_named(config, phrase):
    source, target, _ = clustered_pair(n=50)
    with pytest.raises(ValueError, match=phrase):
        self_learning_map(source, target, config)


def test_unknown_methods_are_named():
    source, target, _ = clustered_pair(n=50)
    with pytest.raises(ValueError, match="self_learning"):
        first_map(source, target, "vecmap")
    with pytest.raises(ValueError, match="candidates"):
        select_method(source, target, ("identical", "muse"))


def test_subword_skipgram_shares_what_spellings_share():
    assert char_ngrams("dog", 3, 4) == ["<do", "dog", "og>", "<dog", "dog>"]
    rng = np.random.default_rng(0)
    filler = [f"w{i}" for i in range(40)]
    lines = [[*rng.choice(filler, 3), word] for word in ("unbelievably", "believably") for _ in range(30)]
    lines += [[*rng.choice(filler, 4)] for _ in range(300)]
    plain, subword = (train_skipgram(lines, dim=16, epochs=3, min_count=1, seed=0, subwords=s) for s in (None, (3, 6)))

    def cosine(space):
        v = dict(zip(space.words, space.vectors))
        return v["unbelievably"] @ v["believably"]

    assert cosine(subword) > cosine(plain) + 0.2
    with pytest.raises(ValueError, match="subwords"):
        train_skipgram(lines, subwords=(4, 3))


@pytest.mark.slow
def test_lexicon_benchmark_compares_the_methods_and_appends(tmp_path):
    import json
    import subprocess
    import sys

    command = [
        sys.executable, "benchmarks/lexicon_induction.py", "--corpus", "toy", "--toy-sentences", "400", "--no-anchors",
        "--embeddings", "skipgram:epochs=2,subwords=3-4", "--methods", "identical", "self_learning", "auto", "--oracle",
        "--out", str(tmp_path), "--name", "t", "--cache", str(tmp_path / "cache")
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    subprocess.run([*command, "--append", "--methods", "self_learning"], check=True, capture_output=True, timeout=300)
    result = json.loads((tmp_path / "t.json").read_text())
    methods = [r["method"] for r in result["rows"]]
    assert (
        methods.count("self_learning") == 3 and methods.count("identical") == 2 and len(result["commands"]) == 2
    )  # stages
    auto = [r for r in result["rows"] if r["method"] == "auto"][-1]
    candidates = {"identical", "self_learning", "identical_self_learning"}
    assert auto["chosen"] in candidates and set(auto["candidates"]) == candidates
    assert all("p@1" in r for r in result["rows"]) and list((tmp_path / "cache").glob("*.npz"))
