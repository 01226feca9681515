"""The embedded English/French toy corpus, generated on demand (no files are shipped).

A small synchronous grammar emits an (English, French) pair per draw. French differs from English the way the
real languages do: gendered determiners and adjective agreement, adjectives placed as in French (size, age,
beauty, goodness and length before the noun, colour and state after it: `the small red car` / `la petite
voiture rouge`), elision and contraction (`l'oiseau`, `le vieil oiseau`, `près du parc`, `le chat d'Anna`),
plural verb agreement, `ne ... pas` negation, `souvent` right after the verb and `le chat de Marie` for
`Marie's cat`. A noun phrase carries up to two adjectives. Names and numerals are identical strings in both
languages: the shared anchors a joint subword vocabulary can exploit.

Unsupervised alignment is only possible when words are distinguishable by their distribution, as they are in
real text. So verbs and adjectives select the noun classes they combine with (one eats food, reads text,
drives vehicles), and within those limits every word has its own fixed preferences, drawn once from a
Dirichlet: which subjects and objects a verb prefers, which adjectives a noun takes, which places follow a
preposition, which prepositions and adverbs a verb takes (these also differ in frequency). Articles follow
information structure: subjects and places mostly take `the`, objects mostly `a`.
A uniform grammar would make all nouns of a class interchangeable and the correct lexicon unidentifiable from
monolingual text, by any method.

The two monolingual sides come from different random streams and a pair may only feed one side; the
parallel test set is drawn from a third stream and used for scoring only.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from unmt.errors import ConfigError

# noun: (en singular, en plural, fr singular, fr plural, French gender, semantic class)
NOUNS = [
    ("cat", "cats", "chat", "chats", "m", "animal"),
    ("dog", "dogs", "chien", "chiens", "m", "animal"),
    ("bird", "birds", "oiseau", "oiseaux", "m", "animal"),
    ("horse", "horses", "cheval", "chevaux", "m", "animal"),
    ("mouse", "mice", "souris", "souris", "f", "animal"),
    ("cow", "cows", "vache", "vaches", "f", "animal"),
    ("boy", "boys", "garçon", "garçons", "m", "person"),
    ("girl", "girls", "fille", "filles", "f", "person"),
    ("woman", "women", "femme", "femmes", "f", "person"),
    ("teacher", "teachers", "professeur", "professeurs", "m", "person"),
    ("doctor", "doctors", "médecin", "médecins", "m", "person"),
    ("neighbour", "neighbours", "voisin", "voisins", "m", "person"),
    ("apple", "apples", "pomme", "pommes", "f", "food"),
    ("bread", "breads", "pain", "pains", "m", "food"),
    ("cake", "cakes", "gâteau", "gâteaux", "m", "food"),
    ("soup", "soups", "soupe", "soupes", "f", "food"),
    ("cheese", "cheeses", "fromage", "fromages", "m", "food"),
    ("banana", "bananas", "banane", "bananes", "f", "food"),
    ("book", "books", "livre", "livres", "m", "text"),
    ("letter", "letters", "lettre", "lettres", "f", "text"),
    ("newspaper", "newspapers", "journal", "journaux", "m", "text"),
    ("car", "cars", "voiture", "voitures", "f", "vehicle"),
    ("bus", "buses", "bus", "bus", "m", "vehicle"),
    ("train", "trains", "train", "trains", "m", "vehicle"),
    ("bike", "bikes", "vélo", "vélos", "m", "vehicle"),
    ("boat", "boats", "bateau", "bateaux", "m", "vehicle"),
    ("house", "houses", "maison", "maisons", "f", "place"),
    ("garden", "gardens", "jardin", "jardins", "m", "place"),
    ("city", "cities", "ville", "villes", "f", "place"),
    ("park", "parks", "parc", "parcs", "m", "place"),
    ("station", "stations", "gare", "gares", "f", "place"),
    ("kitchen", "kitchens", "cuisine", "cuisines", "f", "place"),
    ("table", "tables", "table", "tables", "f", "object"),
    ("chair", "chairs", "chaise", "chaises", "f", "object"),
    ("piano", "pianos", "piano", "pianos", "m", "object"),
    ("door", "doors", "porte", "portes", "f", "object"),
    ("window", "windows", "fenêtre", "fenêtres", "f", "object"),
    ("lamp", "lamps", "lampe", "lampes", "f", "object"),
]

# adjective: (en, fr masc. sg, fr fem. sg, fr masc. pl, fr fem. pl, noun classes it modifies, French placement).
# English puts size, age and opinion before colour and state ("the small red car"); French puts the same
# adjectives before the noun and the others after it ("la petite voiture rouge"), so a stacked pair keeps one order.
ADJECTIVES = [
    ("small", "petit", "petite", "petits", "petites", {"object", "vehicle", "animal", "place", "person", "food"},
     "before"),
    ("big", "grand", "grande", "grands", "grandes", {"object", "vehicle", "animal", "place", "person"}, "before"),
    ("old", "vieux", "vieille", "vieux", "vieilles", {"object", "vehicle", "animal", "place", "person", "text"},
     "before"),
    ("young", "jeune", "jeune", "jeunes", "jeunes", {"animal", "person"}, "before"),
    ("beautiful", "beau", "belle", "beaux", "belles", {"place", "vehicle", "object", "animal", "person"}, "before"),
    ("good", "bon", "bonne", "bons", "bonnes", {"food", "text"}, "before"),
    ("long", "long", "longue", "longs", "longues", {"text", "vehicle"}, "before"),
    ("red", "rouge", "rouge", "rouges", "rouges", {"object", "vehicle", "food", "place"}, "after"),
    ("black", "noir", "noire", "noirs", "noires", {"object", "vehicle", "animal"}, "after"),
    ("white", "blanc", "blanche", "blancs", "blanches", {"object", "vehicle", "animal", "place"}, "after"),
    ("green", "vert", "verte", "verts", "vertes", {"object", "vehicle", "food", "place"}, "after"),
    ("blue", "bleu", "bleue", "bleus", "bleues", {"object", "vehicle"}, "after"),
    ("happy", "heureux", "heureuse", "heureux", "heureuses", {"animal", "person"}, "after"),
    ("hungry", "affamé", "affamée", "affamés", "affamées", {"animal", "person"}, "after"),
    ("tired", "fatigué", "fatiguée", "fatigués", "fatiguées", {"animal", "person"}, "after"),
    ("fresh", "frais", "fraîche", "frais", "fraîches", {"food"}, "after"),
]
# Masculine singular forms that change before a vowel: "le vieil oiseau", "un bel oiseau".
BEFORE_VOWEL = {"vieux": "vieil", "beau": "bel"}
VOWELS = "aeiouyàâéèêëîïôûh"  # the toy lexicon has no h aspiré: "d'Hugo"

ANIMATE = {"animal", "person"}
ANY = {"animal", "person", "food", "text", "vehicle", "place", "object"}
# verb: (en 3sg, en plural, fr 3sg, fr 3pl, subject classes, object classes)
VERBS = [
    ("sees", "see", "voit", "voient", ANIMATE, ANY),
    ("likes", "like", "aime", "aiment", ANIMATE, ANY),
    ("eats", "eat", "mange", "mangent", ANIMATE, {"food"}),
    ("reads", "read", "lit", "lisent", {"person"}, {"text"}),
    ("writes", "write", "écrit", "écrivent", {"person"}, {"text"}),
    ("drives", "drive", "conduit", "conduisent", {"person"}, {"vehicle"}),
    ("buys", "buy", "achète", "achètent", {"person"}, {"food", "text", "vehicle", "object", "animal"}),
    ("watches", "watch", "regarde", "regardent", ANIMATE, ANY),
    ("finds", "find", "trouve", "trouvent", ANIMATE, {"food", "text", "object", "animal"}),
    ("paints", "paint", "peint", "peignent", {"person"}, {"object", "vehicle", "place"}),
    ("cleans", "clean", "nettoie", "nettoient", {"person"}, {"object", "vehicle", "place"}),
    ("cooks", "cook", "prépare", "préparent", {"person"}, {"food"}),
]

# preposition: (en, fr) followed by a place noun phrase; "près de" contracts with the article (près du parc)
PREPOSITIONS = [("in", "dans"), ("near", "près de"), ("behind", "derrière"), ("in front of", "devant")]
# adverb: (en, fr, French position): "souvent" follows the verb (after "pas"), the others end the sentence
ADVERBS = [("today", "aujourd'hui", "end"), ("every day", "chaque jour", "end"), ("again", "de nouveau", "end"),
           ("often", "souvent", "verb")]
NAMES = ["Marie", "Paul", "Anna", "Louis", "Sophie", "Hugo", "Emma", "Léo", "Julia", "Victor"]
NUMBERS = [str(n) for n in range(2, 13)]


# How a noun phrase is determined, and how often, by its role: as in real text, what a sentence is about (its
# subject, the place it happens) is mostly given, with `the`, and what it introduces (its object) mostly new, with
# `a`. The difference keeps the two articles apart by their distribution.
DETERMINERS = {
    "subject": {"the": 7, "a": 1, "number": 2.5, "possessive": 2.5},
    "object": {"the": 2, "a": 6, "number": 2.5, "possessive": 2.5},
    "place": {"the": 7, "a": 1, "number": 0.5, "possessive": 2.5},
}

# The Dirichlet concentration of every word's preferences: the smaller, the more each word keeps to its own
# company. At 0.5 the stacked-adjective grammar's anchor lexicon was 75.9 % right (English to French), at 0.3
# 81.9 %, at 0.2 83.6 % (20,000 sentences a side, docs/experiment-log.md).
PREFERENCE_SHAPE = 0.2


def zipf_weights(n: int, exponent: float = 0.9) -> list[float]:
    return [1.0 / (rank + 1) ** exponent for rank in range(n)]


@dataclass
class NounPhrase:
    en: str
    fr: str
    plural: bool


class ToyGrammar:
    """Draws parallel (English, French) sentences; `rng` decides every choice."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        # Frequencies are a fixed property of the language, not of the stream: a fixed shuffle ranks words.
        ranking = random.Random(1234)
        self.verb_weight = _ranked(ranking, len(VERBS))
        self.name_weight = _ranked(ranking, len(NAMES))
        prefer = lambda: [ranking.gammavariate(PREFERENCE_SHAPE, 1.0) for _ in NOUNS]  # noqa: E731  (a Dirichlet draw)
        self.subject_preference = {verb[0]: prefer() for verb in VERBS}
        self.object_preference = {verb[0]: prefer() for verb in VERBS}
        self.place_preference = {prep[0]: prefer() for prep in PREPOSITIONS}
        self.adjective_preference = {
            noun[0]: [ranking.gammavariate(PREFERENCE_SHAPE, 1.0) for _ in ADJECTIVES] for noun in NOUNS
        }
        # Names and numbers are not spread evenly either: Marie tends to read and paint, Paul owns bikes, apples
        # come in threes. These correlations make anchors informative about the words around them.
        draw = lambda n: [ranking.gammavariate(PREFERENCE_SHAPE, 1.0) for _ in range(n)]  # noqa: E731
        self.name_for_verb = {verb[0]: [w * p for w, p in zip(self.name_weight, draw(len(NAMES)))] for verb in VERBS}
        self.owner_for_noun = {noun[0]: [w * p for w, p in zip(self.name_weight, draw(len(NAMES)))] for noun in NOUNS}
        self.number_for_noun = {noun[0]: draw(len(NUMBERS)) for noun in NOUNS}
        # Prepositions and adverbs too: `in` is commoner than `behind`, and one reads in a place and on a day of
        # one's own. Drawn uniformly, each of them would be interchangeable with the others of its kind.
        self.preposition_for_verb = self._ranked_preferences(ranking, draw, len(PREPOSITIONS))
        self.adverb_for_verb = self._ranked_preferences(ranking, draw, len(ADVERBS))

    @staticmethod
    def _ranked_preferences(ranking: random.Random, draw, n: int) -> dict[str, list[float]]:
        """A Zipf frequency per word, reweighted by each verb's own preferences."""
        frequency = _ranked(ranking, n)
        return {verb[0]: [w * p for w, p in zip(frequency, draw(n))] for verb in VERBS}

    def _choose(self, items, weights):
        return self.rng.choices(items, weights=weights, k=1)[0]

    def _noun(self, classes: set[str], preference: list[float]) -> tuple:
        indices = [i for i, noun in enumerate(NOUNS) if noun[5] in classes]
        return NOUNS[self._choose(indices, [preference[i] for i in indices])]

    def _adjectives(self, noun: tuple) -> list[tuple]:
        """None, one, or a stacked pair of one `before` and one `after` adjective, in English order."""
        count = self.rng.choices([0, 1, 2], weights=[0.5, 0.3, 0.2])[0]
        preference = self.adjective_preference[noun[0]]
        fitting = [(a, w) for a, w in zip(ADJECTIVES, preference) if noun[5] in a[5]]
        if count == 2:
            groups = [[(a, w) for a, w in fitting if a[6] == place] for place in ("before", "after")]
            if all(groups):
                return [self._choose([a for a, _ in group], [w for _, w in group]) for group in groups]
        if count == 0:
            return []
        return [self._choose([a for a, _ in fitting], [w for _, w in fitting])]

    def noun_phrase(
        self, classes: set[str], preference: list[float], allow_name: bool, name_weight: list[float] | None = None,
        role: str = "object",
    ) -> NounPhrase:
        rng = self.rng
        if allow_name and rng.random() < 0.3:
            if rng.random() < 0.15:
                a, b = rng.sample(NAMES, 2)
                return NounPhrase(f"{a} and {b}", f"{a} et {b}", True)
            name = self._choose(NAMES, name_weight or self.name_weight)
            return NounPhrase(name, name, False)
        noun = self._noun(classes, preference)
        en_sg, en_pl, fr_sg, fr_pl, gender, noun_class = noun
        kind = rng.choices(list(DETERMINERS[role]), weights=list(DETERMINERS[role].values()))[0]
        plural = kind == "number" or (kind == "the" and rng.random() < 0.3)
        adjectives = self._adjectives(noun)
        form = 1 + (2 if plural else 0) + (1 if gender == "f" else 0)
        fr_head = fr_pl if plural else fr_sg
        fr_before = [a[form] for a in adjectives if a[6] == "before"]
        if form == 1 and fr_head[0] in VOWELS:
            fr_before = [BEFORE_VOWEL.get(word, word) for word in fr_before]
        fr_after = [a[form] for a in adjectives if a[6] == "after"]
        en_noun = " ".join([a[0] for a in adjectives] + [en_pl if plural else en_sg])
        fr_noun = " ".join(fr_before + [fr_head] + fr_after)
        if kind == "number":
            number = self._choose(NUMBERS, self.number_for_noun[en_sg])
            return NounPhrase(f"{number} {en_noun}", f"{number} {fr_noun}", True)
        if kind == "a":
            return NounPhrase(f"a {en_noun}", f"{'un' if gender == 'm' else 'une'} {fr_noun}", False)
        fr_det = "les" if plural else ("le" if gender == "m" else "la")
        if kind == "possessive":
            owner = self._choose(NAMES, self.owner_for_noun[en_sg])
            return NounPhrase(f"{owner}'s {en_noun}", f"{fr_det} {fr_noun} de {owner}", plural)
        return NounPhrase(f"the {en_noun}", f"{fr_det} {fr_noun}", plural)

    def sentence(self) -> tuple[str, str]:
        rng = self.rng
        verb = self.rng.choices(VERBS, weights=self.verb_weight)[0]
        en_3sg, en_pl, fr_3sg, fr_3pl, subject_classes, object_classes = verb
        subject = self.noun_phrase(
            subject_classes, self.subject_preference[en_3sg], allow_name=True, name_weight=self.name_for_verb[en_3sg],
            role="subject",
        )
        obj = self.noun_phrase(object_classes, self.object_preference[en_3sg], allow_name="person" in object_classes)
        en_verb, fr_verb = (en_pl, fr_3pl) if subject.plural else (en_3sg, fr_3sg)
        negated = rng.random() < 0.15
        if negated:  # does not see / ne voit pas
            en_verb = f"{'do' if subject.plural else 'does'} not {en_pl}"
            fr_verb = f"ne {fr_verb} pas"
        en = [subject.en, en_verb, obj.en]
        fr = [subject.fr, fr_verb, obj.fr]
        if rng.random() < 0.4:
            en_prep, fr_prep = self._choose(PREPOSITIONS, self.preposition_for_verb[en_3sg])
            place = self.noun_phrase({"place"}, self.place_preference[en_prep], allow_name=False, role="place")
            en += [en_prep, place.en]
            fr += [fr_prep, place.fr]
        if rng.random() < 0.2:
            # "not ... again" would mean "no longer" (ne ... plus): negated sentences take the other adverbs
            weights = [0.0 if negated and a[0] == "again" else w for a, w in zip(ADVERBS, self.adverb_for_verb[en_3sg])]
            en_adv, fr_adv, position = self._choose(ADVERBS, weights)
            en.append(en_adv)
            if position == "verb":
                fr.insert(2, fr_adv)
            else:
                fr.append(fr_adv)
        return english_orthography(" ".join(en)) + " .", french_orthography(" ".join(fr)) + " ."


def english_orthography(text: str) -> str:
    """`a` becomes `an` before a vowel sound (the toy lexicon spells every such word with a vowel)."""
    words = text.split()
    return " ".join("an" if w == "a" and words[i + 1][0] in "aeiou" else w for i, w in enumerate(words))


def french_orthography(text: str) -> str:
    """Elision (l'oiseau, n'aime, d'Anna) and de + le/les contracted to du/des."""
    words = text.split()
    out: list[str] = []
    for i, word in enumerate(words):
        following = words[i + 1] if i + 1 < len(words) else ""
        starts_with_vowel = following[:1].lower() in VOWELS and following[:1] != ""
        if out and out[-1] == "de" and word in ("le", "les") and not (word == "le" and starts_with_vowel):
            out[-1] = "du" if word == "le" else "des"
            continue
        if word in ("le", "la", "de", "ne") and starts_with_vowel:
            words[i + 1] = word[0] + "'" + following
            continue
        out.append(word)
    return " ".join(out)


def _ranked(rng: random.Random, n: int) -> list[float]:
    weights = zipf_weights(n)
    rng.shuffle(weights)
    return weights


@dataclass
class ToyCorpus:
    train_en: list[str]
    train_fr: list[str]
    valid_en: list[str]
    valid_fr: list[str]
    test_en: list[str]
    test_fr: list[str]


def generate_toy_corpus(n_train: int = 20000, n_valid: int = 300, n_test: int = 500, seed: int = 0) -> ToyCorpus:
    """Disjoint streams: English side of stream A, French side of stream B, parallel test from stream C.

    A pair whose English or French side already appears on the other monolingual side, or in the test set,
    is skipped, so no sentence is ever seen in both languages during training.
    """
    test = _draw_unique(ToyGrammar(random.Random(seed * 3 + 2)), n_test, exclude=set())
    test_keys = {en for en, _ in test} | {fr for _, fr in test}
    english = _draw_unique(ToyGrammar(random.Random(seed * 3)), n_train + n_valid, exclude=test_keys)
    english_side = {en for en, _ in english}
    exclude = test_keys | english_side | {fr for _, fr in english}
    french = _draw_unique(ToyGrammar(random.Random(seed * 3 + 1)), n_train + n_valid, exclude=exclude)
    return ToyCorpus(
        train_en=[en for en, _ in english[:n_train]],
        train_fr=[fr for _, fr in french[:n_train]],
        valid_en=[en for en, _ in english[n_train:]],
        valid_fr=[fr for _, fr in french[n_train:]],
        test_en=[en for en, _ in test],
        test_fr=[fr for _, fr in test],
    )


def _draw_unique(grammar: ToyGrammar, n: int, exclude: set[str]) -> list[tuple[str, str]]:
    pairs, seen = [], set()
    while len(pairs) < n:
        en, fr = grammar.sentence()
        if en in seen or en in exclude or fr in exclude:
            continue
        seen.add(en)
        pairs.append((en, fr))
    return pairs


def write_toy_corpus(directory: Path, src: str = "en", tgt: str = "fr", **kwargs) -> Path:
    """Writes the toy corpus in the data-directory layout that `unmt train --data` reads."""
    if {src, tgt} != {"en", "fr"}:
        raise ConfigError(f"the embedded toy corpus is English/French; got --src {src} --tgt {tgt}")
    corpus = generate_toy_corpus(**kwargs)
    directory.mkdir(parents=True, exist_ok=True)
    for split in ("train", "valid", "test"):
        for lang in ("en", "fr"):
            lines = getattr(corpus, f"{split}_{lang}")
            (directory / f"{split}.{lang}").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


def gold_lexicon() -> dict[str, set[str]]:
    """The generator's own English -> French word pairs (nouns in both numbers, verbs, adjectives in every
    agreement form): the reference for scoring lexicons induced from the toy corpus."""
    gold = {n[0]: {n[2]} for n in NOUNS} | {n[1]: {n[3]} for n in NOUNS}
    gold |= {v[0]: {v[2]} for v in VERBS} | {v[1]: {v[3]} for v in VERBS}
    gold |= {a[0]: set(a[1:5]) | {BEFORE_VOWEL.get(a[1], a[1])} for a in ADJECTIVES}
    return gold
