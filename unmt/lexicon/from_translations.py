"""The word-by-word lexicon of a next iteration, read off an earlier model's translations of the training corpora.

A lexicon induced from monolingual distributions alone is weak on small corpora (Multi30k: docs/guide.md),
while a model trained from it translates much of the vocabulary right. Pairing each monolingual sentence with that
model's translation and fitting IBM Model 1 gives every word its most likely counterpart: a lexicon for the next
run's first back-translations that starts where the earlier model left off (train.lexicon_from). No parallel text
is involved: each pair is one corpus sentence and a machine translation of it.
"""
from __future__ import annotations

from collections import Counter
from typing import Callable, Sequence

from unmt.lexicon.embeddings import words_of
from unmt.lexicon.ibm1 import NULL, ibm1


def lexicon_from_pairs(
    source: Sequence[str], target: Sequence[str], min_count: int = 2, iterations: int = 5
) -> dict[str, str]:
    """Source word -> its most likely target word under IBM Model 1 fitted on the sentence pairs (lower-cased: the
    word-by-word translation looks words up in lower case and restores capitals), for words seen `min_count` times."""
    source_words, target_words = ([words_of(line.lower()) for line in side] for side in (source, target))
    counts = Counter(w for sentence in source_words for w in sentence)
    table = ibm1(source_words, target_words, iterations)
    lexicon = {}
    for word, row in table.items():
        candidates = {t: p for t, p in row.items() if t != NULL}
        if word != NULL and counts[word] >= min_count and candidates:
            lexicon[word] = max(candidates, key=candidates.get)
    return lexicon


def lexicon_from_translations(
    corpora: dict[str, list[str]], translate: Callable[[list[str], str], list[str]], src: str, tgt: str
) -> dict[str, dict[str, str]]:
    """Both directions, keyed by the language translated into (as a run's lexicon.json). Each direction is fitted
    on both corpora: the src corpus beside its translation into tgt, and the translation of the tgt corpus into src
    beside that corpus, so every word of either language is seen in real text."""
    src_side, tgt_side = translation_pairs(corpora, translate, src, tgt)
    return {tgt: lexicon_from_pairs(src_side, tgt_side), src: lexicon_from_pairs(tgt_side, src_side)}


def translation_pairs(
    corpora: dict[str, list[str]], translate: Callable[[list[str], str], list[str]], src: str, tgt: str
) -> tuple[list[str], list[str]]:
    """(src side, tgt side), line by line: each corpus beside its translation into the other language."""
    into_tgt, into_src = translate(corpora[src], tgt), translate(corpora[tgt], src)
    return corpora[src] + into_src, into_tgt + corpora[tgt]
