"""Unsupervised bilingual lexicon induction, end to end, from two monolingual corpora.

1. count-based word embeddings per language (embeddings.py);
2. a first dictionary: mutual nearest neighbours of the anchor co-occurrence profiles (anchors.py);
3. Procrustes refinement of the embedding mapping, iterated on mutual CSLS neighbours (align.py);
4. the final translation of a word is the best sum of embedding-CSLS and profile-CSLS, both directions.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

import numpy as np

from unmt.errors import DataError
from unmt.lexicon.align import best_translations, csls_scores, mutual_neighbours, procrustes
from unmt.lexicon.anchors import anchor_profiles, shared_anchors
from unmt.lexicon.embeddings import train_embeddings, words_of

log = logging.getLogger("unmt")


@dataclass
class BilingualLexicon:
    forward: dict[str, str]  # source word -> target word
    backward: dict[str, str]  # target word -> source word
    anchors: list[str]


PINNED_MIN_COUNT = 5  # as the aligned lexicons pin identical strings (pipeline.align_embeddings)


def induce_lexicon(
    source_lines: list[str],
    target_lines: list[str],
    dim: int = 40,
    refinements: int = 5,
    max_words: int = 20000,
    frequency_weight: float = 0.3,
) -> BilingualLexicon:
    """`frequency_weight` penalises pairs whose log relative frequencies differ: a translation is usually about as
    frequent as its source word, which is what tells `the` from a rare adjective with a similar profile."""
    source = train_embeddings(source_lines, dim=dim, max_words=max_words)
    target = train_embeddings(target_lines, dim=dim, max_words=max_words)
    source_counts = Counter(w for line in source_lines for w in words_of(line))
    target_counts = Counter(w for line in target_lines for w in words_of(line))
    anchors = shared_anchors(source_counts, target_counts)
    if len(anchors) < 2:
        raise DataError(
            "the corpora share fewer than 2 frequent identical strings: no anchors to induce a lexicon from"
        )
    frequency_gap = np.abs(_log_frequency(source)[:, None] - _log_frequency(target)[None, :])
    profile_scores = csls_scores(
        anchor_profiles(source_lines, source.words, anchors), anchor_profiles(target_lines, target.words, anchors)
    ) - frequency_weight * frequency_gap
    source_index, target_index = source.index(), target.index()
    anchors = [a for a in anchors if a in source_index and a in target_index]
    pairs = mutual_neighbours(profile_scores)
    embedding_scores = np.zeros_like(profile_scores)  # stays zero if no refinement is asked for
    for _ in range(refinements):
        src_ids, tgt_ids = zip(*pairs)
        W = procrustes(source.vectors[list(src_ids)], target.vectors[list(tgt_ids)])
        embedding_scores = csls_scores(source.vectors @ W.T, target.vectors)
        pairs = mutual_neighbours(embedding_scores + profile_scores)
    scores = embedding_scores + profile_scores
    # Identical strings of similar frequency translate to themselves, also those too rare to serve as anchors
    # (a numeral in a small corpus), so no other word may translate to one: without this, frequent function
    # words drift onto frequent anchors such as '.' or numerals.
    pinned = [w for w in shared_anchors(source_counts, target_counts, min_count=PINNED_MIN_COUNT,
                                        max_anchors=len(source_counts))
              if w in source_index and w in target_index]
    scores[:, [target_index[a] for a in pinned]] = -np.inf
    scores[[source_index[a] for a in pinned], :] = -np.inf
    forward, backward = best_translations(scores, source.words, target.words)
    for word in pinned:
        forward[word] = backward[word] = word
    log.info("induced a lexicon of %d -> %d words from %d shared anchors", len(forward), len(backward), len(anchors))
    return BilingualLexicon(forward, backward, anchors)


def _log_frequency(embeddings) -> np.ndarray:
    return np.log(embeddings.counts / embeddings.counts.sum())


def translate_word_by_word(line: str, lexicon: dict[str, str]) -> str:
    """Each word replaced by its lexicon translation (unknown words kept); word order is left as it is. A word
    missing from the lexicon is looked up in lower case (lexicons learned on lower-cased text), and the
    translation of a capitalised word is capitalised."""
    return " ".join(_translate_word(w, lexicon) for w in words_of(line))


def _translate_word(word: str, lexicon: dict[str, str]) -> str:
    if word in lexicon:
        return lexicon[word]
    lower = word.lower()
    if lower in lexicon:
        translation = lexicon[lower]
        return translation[:1].upper() + translation[1:] if word[:1].isupper() else translation
    return word


def precision_at_1(lexicon: dict[str, str], gold: dict[str, set[str]]) -> float:
    """Share of gold source words whose induced translation is one of the gold translations."""
    known = [w for w in gold if w in lexicon]
    return float(np.mean([lexicon[w] in gold[w] for w in known])) if known else 0.0
