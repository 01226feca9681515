"""Aligning two embedding spaces with a bilingual dictionary's help: Procrustes on the dictionary's word pairs (the
supervised map of Mikolov et al. 2013 / Smith et al. 2017), then the Procrustes refinement on mutual CSLS
neighbours that the unsupervised methods also end with, the dictionary's pairs kept in every iteration.

A general-purpose dictionary lists senses the corpora never use, so its pairs are the run's chosen lexicon (one
translation per word, picked by the target corpus' frequencies), not every candidate in the file. The same map
also fills the word-by-word lexicon where the dictionary has no entry (filled_lexicon)."""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable

import numpy as np

from unmt.errors import DataError
from unmt.lexicon.align import best_translations, csls_scores, procrustes, refine
from unmt.lexicon.anchors import shared_anchors
from unmt.lexicon.embeddings import WordEmbeddings, words_of
from unmt.lexicon.skipgram import train_skipgram

log = logging.getLogger("unmt")

MIN_SEED_PAIRS = 10  # fewer than this cannot fix a map of tens of dimensions


def seed_pairs(
    word_pairs: Iterable[tuple[str, str]],
    source: WordEmbeddings,
    target: WordEmbeddings,
    to_unit: Callable[[str], str | None] = lambda word: word,
) -> list[tuple[int, int]]:
    """(source row, target row) of each dictionary pair whose two words both have a vector. `to_unit` maps a word
    to the unit the spaces hold (a subword space: the word's one piece, None when it splits into several); a word is
    tried as written and lower-cased, since dictionaries list headwords and corpora start sentences with capitals."""
    source_index, target_index = source.index(), target.index()
    pairs: set[tuple[int, int]] = set()
    for source_word, target_word in word_pairs:
        i, j = _row(source_word, source_index, to_unit), _row(target_word, target_index, to_unit)
        if i is not None and j is not None:
            pairs.add((i, j))
    return sorted(pairs)


def _row(word: str, index: dict[str, int], to_unit) -> int | None:
    for form in dict.fromkeys((word, word.lower(), word[:1].upper() + word[1:])):
        unit = to_unit(form)
        if unit is not None and unit in index:
            return index[unit]
    return None


def dictionary_map(
    source: WordEmbeddings, target: WordEmbeddings, pairs: list[tuple[int, int]], refinements: int = 5,
    max_rank: int = 10000,
) -> np.ndarray:
    """W (x -> W x) from Procrustes on the seed pairs, refined on mutual CSLS neighbours with the seeds kept."""
    if len(pairs) < MIN_SEED_PAIRS:
        raise DataError(f"the dictionary pairs only {len(pairs)} words that both corpora's embeddings hold (at least "
                        f"{MIN_SEED_PAIRS} are needed to seed the alignment): is it the run's language pair?")
    src_ids, tgt_ids = (list(ids) for ids in zip(*pairs))
    W = procrustes(source.vectors[src_ids], target.vectors[tgt_ids])
    log.info("dictionary-seeded alignment from %d word pairs", len(pairs))
    return refine(source, target, W, refinements, max_rank, keep_pairs=pairs)


def filled_lexicon(
    source_lines: list[str], target_lines: list[str], dictionary: dict[str, str], reverse: dict[str, str],
    seed: int = 0,
) -> tuple[dict[str, str], dict[str, str]]:
    """(source -> target, target -> source) word lexicons that keep every dictionary translation and give each
    corpus word the dictionary lacks its CSLS neighbour in word-level skip-gram spaces aligned from the
    dictionary's pairs; names, numbers and other strings both corpora use alike translate to themselves. With too
    few dictionary pairs in the corpora to align from, the dictionary alone (and a warning)."""
    source, target = (train_skipgram([words_of(line) for line in lines], dim=50, min_count=3, seed=seed)
                      for lines in (source_lines, target_lines))
    pairs = seed_pairs([*dictionary.items(), *((s, t) for t, s in reverse.items())], source, target)
    try:
        W = dictionary_map(source, target, pairs)
    except DataError as error:  # a dictionary the corpora barely use still gives its own words' translations
        log.warning("words the dictionary lacks stay untranslated: %s", error)
        return dict(dictionary), dict(reverse)
    forward, backward = best_translations(csls_scores(source.vectors @ W.T, target.vectors), source.words,
                                          target.words)
    anchors = shared_anchors(Counter(dict(zip(source.words, source.counts))),
                             Counter(dict(zip(target.words, target.counts))), min_count=5,
                             max_anchors=len(source.words))
    for word in anchors:
        forward[word] = backward[word] = word
    return _dictionary_first(forward, dictionary), _dictionary_first(backward, reverse)


def _dictionary_first(aligned: dict[str, str], dictionary: dict[str, str]) -> dict[str, str]:
    """`aligned`'s translations of the words the dictionary lacks (in any case), then the dictionary's."""
    listed = {word.lower() for word in dictionary}
    return {**{w: t for w, t in aligned.items() if w.lower() not in listed}, **dictionary}
