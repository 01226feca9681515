"""On-the-fly back-translation: who translates a training batch, and how.

In eval mode and without gradients, as Lample et al. prescribe: the model being trained, its weight average, or
frozen teachers; during the first steps of a run with a lexicon, word by word instead (their first iteration,
which gives the model a translation signal to start from). A frozen teacher decoding greedily translates a
sentence the same way every time, so each sentence is translated once and remembered.
"""
from __future__ import annotations

from typing import Callable

import torch

from unmt.data.vocab import Vocabulary
from unmt.models.ensemble import Ensemble
from unmt.models.transformer import Transformer
from unmt.translation.batching import source_batch
from unmt.translation.lexical_bias import LexicalBias
from unmt.translation.objectives import Rows
from unmt.translation.search import greedy_search
from unmt.translation.word_swap import WordSwap


class BackTranslator:
    def __init__(self, model: Transformer | Ensemble, vocab: Vocabulary, device: torch.device, temperature: float,
                 generator: torch.Generator, output_masks: dict[str, torch.Tensor] | None = None, frozen: bool = False,
                 word_by_word: dict[str, Callable[[str], str]] | None = None, lexical_bias: float = 0.0):
        self.model, self.vocab, self.device, self.temperature = model, vocab, device, temperature
        self.generator = generator  # on the device that samples: multinomial refuses a CPU generator for CUDA
        self.output_masks = output_masks or {}  # language -> (V,) bool of subwords it may emit
        # language -> word-by-word translator into that language, for the phase that uses it
        self.word_by_word = word_by_word
        # after that phase, the same lexicon as soft constraints on the model's own decoding, when asked for
        steer = lexical_bias > 0 and word_by_word is not None
        self.lexical_bias = LexicalBias(WordSwap(word_by_word, vocab), vocab, lexical_bias) if steer else None
        # (target language, source ids) -> translation, for a frozen teacher whose greedy output never changes
        self.remembered: dict[tuple[str, tuple[int, ...]], list[int]] | None = (
            {} if frozen and temperature == 0 else None
        )
        self.newly_translated = 0  # sentences the teacher had to translate in the last remembered batch

    def __call__(self, rows: Rows, to_langs: list[str], word_by_word: bool = False) -> Rows:
        """Translates each row into its language in `to_langs`."""
        if self.remembered is not None:
            return self._remembered(rows, to_langs)
        if word_by_word and self.word_by_word is not None:
            return [
                self.vocab.encode(self.word_by_word[lang](self.vocab.decode(row))) or [self.vocab.blank]
                for row, lang in zip(rows, to_langs)
            ]
        return self._decode(rows, to_langs)

    def _remembered(self, rows: Rows, to_langs: list[str]) -> Rows:
        keys = [(lang, tuple(row)) for row, lang in zip(rows, to_langs)]
        new = [i for i, key in enumerate(keys) if key not in self.remembered]
        if new:
            for i, translation in zip(new, self._decode([rows[i] for i in new], [to_langs[i] for i in new])):
                self.remembered[keys[i]] = translation
        self.newly_translated = len(new)  # reported with the step's metrics: how cold the memory still is
        return [self.remembered[key] for key in keys]

    def _decode(self, rows: Rows, to_langs: list[str]) -> Rows:
        was_training = self.model.training
        self.model.eval()
        src, src_mask = source_batch(rows, self.device)
        allowed = torch.stack([self.output_masks[lang] for lang in to_langs]) if self.output_masks else None
        out = greedy_search(
            self.model,
            src,
            src_mask,
            torch.tensor([self.vocab.lang_ids[lang] for lang in to_langs], device=self.device),
            temperature=self.temperature,
            generator=self.generator,
            allowed=allowed,
            bias=self.lexical_bias(rows, to_langs, self.device) if self.lexical_bias is not None else None,
        )
        self.model.train(was_training)
        return [r if r else [self.vocab.blank] for r in out]  # an empty output still needs one source token
