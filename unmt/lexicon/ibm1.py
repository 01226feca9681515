"""IBM Model 1 (Brown et al. 1993) trained by EM, and a test dictionary from parallel text built with it in both
directions, keeping the pairs each direction agrees on.

The test dictionary only scores lexicons induced without parallel text; it never trains or selects anything. The
model itself also reads a lexicon off a trained run's own translations of monolingual text (from_translations.py).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import Sequence

NULL = "<null>"


def ibm1(
    source: Sequence[Sequence[str]], target: Sequence[Sequence[str]], iterations: int = 5
) -> dict[str, dict[str, float]]:
    """t(target word | source word) after `iterations` EM rounds, from a uniform start; the source side gets an
    empty NULL word so that target words with no counterpart need not be forced onto a real one."""
    table: dict[str, dict[str, float]] = defaultdict(dict)
    for s, t in zip(source, target):
        for e in [NULL, *s]:
            for f in t:
                table[e][f] = 1.0
    for _ in range(iterations):
        counts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for s, t in zip(source, target):
            sources = [NULL, *s]
            for f in t:
                weights = [table[e][f] for e in sources]
                total = sum(weights)
                for e, w in zip(sources, weights):
                    counts[e][f] += w / total
        table = defaultdict(dict)
        for e, row in counts.items():
            norm = sum(row.values())
            table[e] = {f: c / norm for f, c in row.items()}
    return table


def test_dictionary(
    source: Sequence[Sequence[str]],
    target: Sequence[Sequence[str]],
    min_count: int = 5,
    iterations: int = 5,
    max_translations: int = 3,
    min_probability: float = 0.1,
) -> dict[str, set[str]]:
    """Pairs (e, f) where f is among e's `max_translations` most likely translations (t >= min_probability) and
    e is f's most likely translation in the reverse model: agreement of both directions keeps precision high,
    and several translations per word keep inflected forms (petit/petite/petits)."""
    forward, backward = ibm1(source, target, iterations), ibm1(target, source, iterations)
    source_counts, target_counts = Counter(w for s in source for w in s), Counter(w for t in target for w in t)
    best_source = {f: max(row, key=row.get) for f, row in backward.items() if f != NULL}
    gold: dict[str, set[str]] = {}
    for e, row in forward.items():
        if e == NULL or source_counts[e] < min_count:
            continue
        ranked = sorted(row.items(), key=lambda item: -item[1])[:max_translations]
        kept = {
            f for f, p in ranked if p >= min_probability and target_counts[f] >= min_count and best_source.get(f) == e
        }
        if kept:
            gold[e] = kept
    return gold
