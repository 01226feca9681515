import importlib.util
import random
from pathlib import Path

from unmt.data.toy import ADJECTIVES, ADVERBS, NAMES, NOUNS, PREPOSITIONS, VERBS, ToyGrammar, generate_toy_corpus


def test_monolingual_sides_share_no_pair_and_test_is_held_out():
    corpus = generate_toy_corpus(n_train=3000, n_valid=50, n_test=200, seed=0)
    assert len(corpus.train_en) == len(corpus.train_fr) == 3000
    assert not set(corpus.train_en) & set(corpus.test_en)
    assert not set(corpus.train_fr) & set(corpus.test_fr)
    # No training sentence is the translation of a sentence on the other side: the French side of every
    # English training sentence (drawn by the same grammar) is absent from the French training side.
    fr_of_test = dict(zip(corpus.test_en, corpus.test_fr))
    assert all(fr_of_test[en] not in set(corpus.train_fr) for en in corpus.test_en)


def test_grammar_has_french_word_order_and_agreement():
    corpus = generate_toy_corpus(n_train=10, n_valid=1, n_test=2000, seed=1)
    pairs = list(zip(corpus.test_en, corpus.test_fr))
    text_fr = " ".join(corpus.test_fr)
    # French places size and age before the noun, colour and state after it, agreeing in gender and number
    adjectives = {a[0]: a for a in ADJECTIVES}
    nouns = {n[0]: (n, 0) for n in NOUNS} | {n[1]: (n, 1) for n in NOUNS}
    stacked = 0
    for en, fr in pairs:
        words = en.split()
        for first, second, noun in zip(words, words[1:], words[2:]):
            if first in adjectives and second in adjectives and noun in nouns:
                (_, _, fr_sg, fr_pl, gender, _), plural = nouns[noun]
                form = 1 + 2 * plural + (gender == "f")
                before = adjectives[first][form]
                if form == 1 and fr_sg[0] in "aeiou":  # le vieil oiseau
                    before = {"vieux": "vieil", "beau": "bel"}.get(before, before)
                expected = f" {before} {fr_pl if plural else fr_sg} {adjectives[second][form]} "
                assert expected in f" {fr} ", (en, fr)
                stacked += 1
    assert stacked > 100
    for wrong in ("voiture petite", "voiture grande", "rouge voiture", "le oiseau", "de le ", "de les ",
                  " vieux oiseau ", "ne aime", "de Anna", "de Emma", "le chats", "la chats", "les chat "):
        assert f" {wrong}" not in f" {text_fr}", wrong  # word order, elision, contraction and agreement
    for right in ("l'oiseau", "près du", "près des", "près de la", "n'aime", "d'Anna", "ne voit pas", "souvent"):
        assert right in text_fr, right
    assert any(" cats " in en and " chats " in fr for en, fr in pairs)
    verbs_fr = {v[2] for v in VERBS} | {v[3] for v in VERBS} | {"pas"}
    often = [fr.split() for fr in corpus.test_fr if " souvent " in fr]
    assert often and all(words[words.index("souvent") - 1] in verbs_fr for words in often)  # right after the verb
    for en, fr in pairs:  # names and numerals are the shared anchors: the same strings on both sides (d'Anna elided)
        en_names = {w.removesuffix("'s") for w in en.split()} & set(NAMES)
        assert en_names == {w.removeprefix("d'") for w in fr.split()} & set(NAMES)
        assert sorted(w for w in en.split() if w.isdigit()) == sorted(w for w in fr.split() if w.isdigit())


def test_noun_phrases_carry_up_to_two_adjectives_in_both_languages():
    corpus = generate_toy_corpus(n_train=10, n_valid=1, n_test=2000, seed=1)
    adjectives_en = {a[0] for a in ADJECTIVES}
    nouns_en = {n[0] for n in NOUNS} | {n[1] for n in NOUNS}
    runs = []  # the adjectives directly before each English noun
    for en in corpus.test_en:
        words = en.split()
        for i, word in enumerate(words):
            if word in nouns_en:
                j = i
                while j > 0 and words[j - 1] in adjectives_en:
                    j -= 1
                runs.append(i - j)
    assert max(runs) == 2 and runs.count(2) > 100 and runs.count(1) > 100


def test_subjects_take_mostly_the_and_objects_mostly_a_in_both_languages():
    """Given and new information keep the two articles apart by distribution, alike in English and French."""
    corpus = generate_toy_corpus(n_train=10, n_valid=1, n_test=2000, seed=1)
    first = [line.split()[0] for line in corpus.test_en]
    first_fr = [line.split()[0] for line in corpus.test_fr]
    assert first.count("the") > 4 * (first.count("a") + first.count("an"))
    assert sum(w in ("le", "la", "les") or w.startswith("l'") for w in first_fr) > 4 * sum(
        w in ("un", "une") for w in first_fr)
    verbs = {v[0] for v in VERBS} | {v[1] for v in VERBS}
    after_verb = [words[i + 1] for words in map(str.split, corpus.test_en) for i, w in enumerate(words[:-1])
                  if w in verbs]
    assert after_verb.count("a") + after_verb.count("an") > 2 * after_verb.count("the")


def verb_profiles(sentences: list[str], words: list[str]) -> dict[str, dict[str, float]]:
    """For each of `words`, the share of the sentences holding it that each verb heads."""
    lemma = {v[0]: v[0] for v in VERBS} | {v[1]: v[0] for v in VERBS}
    counts = {word: {} for word in words}
    for sentence in sentences:
        padded = f" {sentence.replace(' in front of ', ' in-front-of ')} "
        verb = next(lemma[w] for w in sentence.split() if w in lemma)
        for word in words:
            if f" {word.replace('in front of', 'in-front-of')} " in padded:
                counts[word][verb] = counts[word].get(verb, 0) + 1
    return {word: {v: n / sum(c.values()) for v, n in c.items()} for word, c in counts.items()}


def test_prepositions_and_adverbs_are_told_apart_by_the_verbs_they_follow():
    """Drawn uniformly, every preposition (or adverb) would follow each verb as often as the others: no
    monolingual method could then pair `behind` with `derrière` rather than with `devant`."""
    corpus = generate_toy_corpus(n_train=10, n_valid=1, n_test=4000, seed=1)
    for kind in ([p[0] for p in PREPOSITIONS], [a[0] for a in ADVERBS]):
        profiles = verb_profiles(corpus.test_en, kind)
        for i, a in enumerate(kind):
            for b in kind[i + 1:]:
                verbs = set(profiles[a]) | set(profiles[b])
                distance = sum(abs(profiles[a].get(v, 0) - profiles[b].get(v, 0)) for v in verbs) / 2
                assert distance > 0.3, (a, b, distance)


def toy_examples():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "toy_examples.py"
    spec = importlib.util.spec_from_file_location("toy_examples", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_example_is_a_sentence_the_grammar_generates():
    """The README pipes this sentence into the demo and shows its French: both must be the grammar's own."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    english, french = toy_examples().README_EXAMPLE  # what benchmarks/toy_examples.py checks trained runs on
    assert f'echo "{english}" | unmt translate' in readme and french in readme
    grammar = ToyGrammar(random.Random(0))
    assert (english, french) in {grammar.sentence() for _ in range(50_000)}  # about 14 times in 50,000 draws


def test_generation_is_deterministic_per_seed():
    a = generate_toy_corpus(n_train=100, n_valid=5, n_test=5, seed=3)
    b = generate_toy_corpus(n_train=100, n_valid=5, n_test=5, seed=3)
    c = generate_toy_corpus(n_train=100, n_valid=5, n_test=5, seed=4)
    assert a == b and a.train_en != c.train_en
