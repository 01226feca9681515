"""Code-switched denoising: some words of a sentence replaced by their word-by-word translations before C(x).

The model then learns to rebuild a sentence from input in which the other language's words stand where its own
did, which ties each word to its lexicon translation in the shared encoder for as long as the option is on, not
only during the word-by-word phase (Duan et al. 2020 use a dictionary this way without parallel text). The
translations are those the run's word-by-word phase uses: the dictionary's where one is given.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from unmt.data.vocab import Vocabulary

Word = list[int]


class WordSwap:
    def __init__(self, translators: dict[str, Callable[[str], str]], vocab: Vocabulary):
        self.translators, self.vocab = translators, vocab
        # (language translated into, the word's subword ids) -> its translation's ids, None without an entry
        self._known: dict[tuple[str, tuple[int, ...]], Word | None] = {}

    def __call__(self, words: list[Word], into: str, p: float, rng: np.random.Generator) -> list[Word]:
        """Each word independently with probability p replaced by its translation into `into`, when it has one.
        The draws are made for every word, found in the lexicon or not, so that which words are hit does not
        depend on the lexicon."""
        if p <= 0 or not words:
            return list(words)
        hit = rng.random(len(words)) < p
        out = []
        for word, h in zip(words, hit):
            translation = self.translation(word, into) if h else None
            out.append(translation if translation is not None else word)
        return out

    def translation(self, word: Word, into: str) -> Word | None:
        key = (into, tuple(word))
        if key not in self._known:
            text = self.vocab.decode(word).strip()
            translated = self.translators[into](text) if text else text
            ids = self.vocab.encode(translated) if translated != text else []
            self._known[key] = ids or None
        return self._known[key]
