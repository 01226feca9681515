"""Can monolingual text tell colours apart? Matching a class's members across languages by the company they keep.

experiments/lexical_confusions.py shows the unsupervised model swapping and dropping colours. Their first-order
distributions are alike (the same slot before the same nouns), but the nouns themselves differ: snow is white, grass
green. This script asks whether that second-order signal is in the two monolingual halves: each member of a class
(lexical_confusions.CLASSES) gets a profile of the words within `window` words of it (PPMI over the class's
co-occurrence counts), French context words are carried into English through a CONTEXT dictionary, and each English
member is matched to the French member whose profile is nearest (cosine), alone and one to one (greedily, best pair
first). The class members' own forms are never contexts.

The context dictionary decides what the answer means: one built from the model's own translations of the monolingual
halves (`--dictionary-from-run`) keeps the test unsupervised; one built from parallel text
(data_scripts/build_test_dictionary.py) is an oracle, for analysis only. Nothing here trains or selects anything.

    python experiments/class_profiles.py --data DATA --dictionary-from-run RUNS/br-ae4556 --gold GOLD \
        --out experiments/results/class_profiles-multi30k-model.json
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter, defaultdict
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "benchmarks")]  # its neighbours, then benchmarks/ helpers
from lexical_confusions import CLASSES  # noqa: E402
from report import write_report  # noqa: E402
from unmt.checkpoint import CheckpointError  # noqa: E402
from unmt.lexicon.embeddings import words_of  # noqa: E402
from unmt.lexicon.from_translations import translation_pairs  # noqa: E402
from unmt.lexicon.ibm1 import test_dictionary  # noqa: E402
from unmt.translation.model_io import load_translator  # noqa: E402

SENTENCE = 0  # window 0: the whole sentence is the context


def tokenized(lines: list[str]) -> list[list[str]]:
    return [words_of(line.lower()) for line in lines]


def read_dictionary(path: Path) -> dict[str, set[str]]:
    """'english french' lines, or a run's lexicon.json (its English -> French half, lower-cased)."""
    pairs: dict[str, set[str]] = defaultdict(set)
    if path.suffix == ".json":
        for english, french in json.loads(path.read_text(encoding="utf-8"))["fr"].items():
            pairs[english.lower()].add(french.lower())
        return dict(pairs)
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            english, french = line.split()[:2]
            pairs[english].add(french)
    return dict(pairs)


def profiles(sentences, member_of, context_of, window: int) -> list[Counter]:
    """Co-occurrence counts member -> context word, for members found by `member_of(word)` (an index or None) and
    context words renamed by `context_of(word)` (None: not a context)."""
    counts: dict[int, Counter] = defaultdict(Counter)
    for words in sentences:
        contexts = [context_of(w) for w in words]
        for i, word in enumerate(words):
            member = member_of(word)
            if member is None:
                continue
            lo, hi = (0, len(words)) if window == SENTENCE else (max(0, i - window), min(len(words), i + window + 1))
            counts[member].update(c for j, c in zip(range(lo, hi), contexts[lo:hi]) if j != i and c is not None)
    return [counts[m] for m in range(max(counts, default=-1) + 1)]


def ppmi_vectors(counts: list[Counter]) -> list[dict[str, float]]:
    """Positive PMI of each (member, context) against the class's own marginals, each vector of unit length."""
    total = sum(sum(c.values()) for c in counts) or 1
    context_totals = Counter()
    for c in counts:
        context_totals.update(c)
    vectors = []
    for c in counts:
        row_total = sum(c.values())
        vector = {w: math.log(n * total / (row_total * context_totals[w])) for w, n in c.items()}
        vector = {w: v for w, v in vector.items() if v > 0}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        vectors.append({w: v / norm for w, v in vector.items()})
    return vectors


def similarity(a: dict[str, float], b: dict[str, float]) -> float:
    if len(b) < len(a):
        a, b = b, a
    return sum(v * b.get(w, 0.0) for w, v in a.items())


def greedy_matching(scores: list[list[float]]) -> dict[int, int]:
    """One-to-one: the most similar remaining pair first."""
    pairs = sorted(((s, i, j) for i, row in enumerate(scores) for j, s in enumerate(row)), reverse=True)
    matched: dict[int, int] = {}
    used: set[int] = set()
    for _, i, j in pairs:
        if i not in matched and j not in used:
            matched[i] = j
            used.add(j)
    return matched


def match_class(members, english, french, dictionary: dict[str, set[str]], window: int) -> dict:
    """Match one class's English members to its French members; members = [(English forms, French forms)]."""
    english_member = {f: i for i, (forms, _) in enumerate(members) for f in forms}
    french_member = {f: i for i, (_, forms) in enumerate(members) for f in forms}
    to_english = {f: e for e, fs in dictionary.items() for f in fs}
    english_contexts = set(dictionary) - set(english_member)
    french_contexts = {f: e for f, e in to_english.items() if e in english_contexts and f not in french_member}
    n = len(members)
    english_profiles = profiles(english, english_member.get, lambda w: w if w in english_contexts else None, window)
    french_profiles = profiles(french, french_member.get, french_contexts.get, window)
    pad = lambda p: p + [Counter() for _ in range(n - len(p))]  # noqa: E731 - a member never seen has no company
    english_vectors, french_vectors = ppmi_vectors(pad(english_profiles)), ppmi_vectors(pad(french_profiles))
    scores = [[similarity(e, f) for f in french_vectors] for e in english_vectors]
    nearest = [max(range(n), key=row.__getitem__) for row in scores]
    matched = greedy_matching(scores)
    name = lambda i: sorted(members[i][0])[0]  # noqa: E731
    return {
        "members": n,
        "nearest_right": sum(nearest[i] == i for i in range(n)),
        "matching_right": sum(matched.get(i) == i for i in range(n)),
        "nearest": {name(i): name(nearest[i]) for i in range(n)},
        "own_rank": {name(i): 1 + sum(s > scores[i][i] for s in scores[i]) for i in range(n)},
    }


def dictionary_from_run(run: Path, data: Path) -> dict[str, set[str]]:
    """IBM Model 1 (both directions, agreeing) on each monolingual half beside the run's greedy translation of it."""
    translator, _ = load_translator(run)
    corpora = {lang: (data / f"train.{lang}").read_text(encoding="utf-8").splitlines() for lang in ("en", "fr")}
    english, french = translation_pairs(corpora, partial(translator.translate, batch_size=128), "en", "fr")
    return test_dictionary(tokenized(english), tokenized(french))


def dictionary_precision(dictionary: dict[str, set[str]], gold: dict[str, set[str]]) -> dict:
    """Share of the dictionary's English words (those the gold covers) with at least one gold translation."""
    covered = [e for e in dictionary if e in gold]
    right = sum(bool(dictionary[e] & gold[e]) for e in covered)
    return {"words": len(dictionary), "gold_covered": len(covered), "right": round(right / max(len(covered), 1), 4)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="data directory with train.en / train.fr")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--dictionary", type=Path, help="context dictionary: 'english french' per line, or a lexicon.json"
    )
    source.add_argument(
        "--dictionary-from-run", metavar="RUN", type=Path, help="build it from this run folder's own translations"
    )
    parser.add_argument("--gold", type=Path, help="a test dictionary to score the context dictionary against")
    parser.add_argument("--windows", type=int, nargs="+", default=[3, SENTENCE], help="context windows (0: sentence)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    run_file = [args.dictionary_from_run / "run.json"] if args.dictionary_from_run else []
    for path in [args.data / "train.en", args.data / "train.fr", *run_file] + [
        p for p in (args.dictionary, args.gold) if p
    ]:
        if not path.is_file():
            print(f"error: {path} does not exist", file=sys.stderr)
            return 2
    english, french = (
        tokenized((args.data / f"train.{lang}").read_text(encoding="utf-8").splitlines()) for lang in ("en", "fr")
    )
    if args.dictionary:
        dictionary = read_dictionary(args.dictionary)
    else:
        try:
            dictionary = dictionary_from_run(args.dictionary_from_run, args.data)
        except CheckpointError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    result = {
        "data": str(args.data),
        "context_dictionary": str(args.dictionary or args.dictionary_from_run),
        "dictionary": dictionary_precision(dictionary, read_dictionary(args.gold))
        if args.gold
        else {"words": len(dictionary)},
        "classes": {
            name: {
                ("sentence" if w == SENTENCE else f"window {w}"): match_class(members, english, french, dictionary, w)
                for w in args.windows
            }
            for name, members in CLASSES.items()
        },
    }
    write_report(args.out, result)
    for name, by_window in result["classes"].items():
        for window, outcome in by_window.items():
            print(f"{name:8s} {window:9s} nearest {outcome['nearest_right']}/{outcome['members']}"
                  f"  one-to-one {outcome['matching_right']}/{outcome['members']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
