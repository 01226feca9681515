"""The noise model C(x) of Lample et al. (2018), as pure functions on whole words.

A sentence is a list of words and a word is a list of subword ids, so the functions never split a word into
pieces: dropping, shuffling or blanking a word acts on all of its pieces. Every function takes the random
generator explicitly and returns a new list.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, TypeVar

import numpy as np

from unmt.typed_config import option

Word = TypeVar("Word")


@dataclass
class NoiseConfig:
    """The noise model C: word dropout, local shuffle and blanking (Lample et al. 2018)."""
    word_dropout: float = option(0.1, "probability of deleting each word (p_wd)", at_least=0, below=1)
    word_shuffle: int = option(3, "maximum displacement k of any word; 0 disables shuffling", at_least=0)
    word_blank: float = option(
        0.1, "probability of replacing each word by the blank token (p_blank)", at_least=0, below=1
    )
    word_translate: float = option(
        0.0,
        "probability of replacing each word by its word-by-word translation before the rest of C "
        "(the run's lexicon: the dictionary's where one is given); needs back_translation.word_by_word_steps > 0",
        at_least=0,
        below=1,
    )


def split_words(token_ids: Sequence[int], starts_word: Sequence[bool]) -> list[list[int]]:
    """Groups subword ids into words; `starts_word[i]` says whether token i begins a new word."""
    words: list[list[int]] = []
    for token, start in zip(token_ids, starts_word):
        if start or not words:
            words.append([token])
        else:
            words[-1].append(token)
    return words


def word_dropout(words: list[Word], p: float, rng: np.random.Generator) -> list[Word]:
    """Deletes each word independently with probability p, but always keeps at least one word."""
    if p <= 0 or len(words) <= 1:
        return list(words)
    keep = rng.random(len(words)) >= p
    if not keep.any():
        keep[rng.integers(len(words))] = True
    return [w for w, k in zip(words, keep) if k]


def word_shuffle(words: list[Word], k: int, rng: np.random.Generator) -> list[Word]:
    """Local shuffle in which no word moves more than k positions.

    Word i gets the key i + u_i with u_i ~ Uniform[0, k + 1) and words are sorted by key. Any word j more than
    k positions before i has key_j < j + k + 1 <= i <= key_i, and any word more than k positions after i has
    key_j >= j > key_i, so i ends within k of where it started. k = 3 (the paper's value) means a maximum
    displacement of 3; k = 0 leaves the order unchanged.
    """
    if k <= 0 or len(words) <= 1:
        return list(words)
    keys = np.arange(len(words)) + rng.uniform(0, k + 1, size=len(words))
    return [words[i] for i in np.argsort(keys, kind="stable")]


def word_blank(words: list[Word], p: float, blank: Word, rng: np.random.Generator) -> list[Word]:
    """Replaces each word independently with probability p by `blank` (a word of one blank token)."""
    if p <= 0:
        return list(words)
    hit = rng.random(len(words)) < p
    return [blank if h else w for w, h in zip(words, hit)]


def corrupt(words: list[Word], config: NoiseConfig, blank: Word, rng: np.random.Generator) -> list[Word]:
    """C(x): word dropout, then local shuffle, then blanking, in the order of the paper's code."""
    words = word_dropout(words, config.word_dropout, rng)
    words = word_shuffle(words, config.word_shuffle, rng)
    return word_blank(words, config.word_blank, blank, rng)
