"""Soft lexical constraints for the model's back-translations: each source word's lexicon translation (the
dictionary's where one is given) gets a bonus on its first subword's logit until the decoder emits that subword.

The dictionary then keeps steering the back-translations after the word-by-word phase without fixing them: the
bonus is a prior that a confident model overrules, and it is spent once the word is out, so it cannot make the
decoder repeat it. Hard constraints (every listed translation forced into the output, Hokamp and Liu 2017) would
force a general dictionary's wrong senses too.
"""
from __future__ import annotations

import torch

from unmt.data.noise import split_words
from unmt.data.vocab import Vocabulary
from unmt.translation.objectives import Rows
from unmt.translation.word_swap import WordSwap


class LexicalBias:
    def __init__(self, words: WordSwap, vocab: Vocabulary, bonus: float):
        self.words, self.vocab, self.bonus = words, vocab, bonus

    def __call__(self, rows: Rows, to_langs: list[str], device: torch.device) -> torch.Tensor:
        """(B, V) bonuses: row i's source words' translations into to_langs[i], first subword each."""
        bias = torch.zeros(len(rows), len(self.vocab))
        starts = self.vocab.starts_word
        for i, (row, lang) in enumerate(zip(rows, to_langs)):
            for word in split_words(row, [starts[t] for t in row]):
                translation = self.words.translation(word, lang)
                if translation:
                    bias[i, translation[0]] = self.bonus
        return bias.to(device)
