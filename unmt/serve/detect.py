"""`source: auto`: which of a run's two languages a text is in, from what the run already knows.

A run trained with restricted outputs keeps, per language, the subwords that language's corpus uses
(output_tokens.json). A subword that only one of the two corpora uses is evidence for that language; the answer is
the language with more such evidence among the text's subwords, and the confidence its share of the evidence. Text
made only of shared subwords (names, numbers, one short word) has no evidence: the run's first language is
answered with confidence 0. docs/serve.md gives the measured accuracy."""
from __future__ import annotations

import torch

from unmt.data.vocab import Vocabulary


class LanguageDetector:
    def __init__(self, vocab: Vocabulary, output_masks: dict[str, torch.Tensor], languages: tuple[str, str]):
        self.vocab, self.languages = vocab, languages
        a, b = languages
        if a in output_masks and b in output_masks:
            ma, mb = output_masks[a].cpu(), output_masks[b].cpu()
            self.only = {a: ma & ~mb, b: mb & ~ma}
        else:  # a run trained without the output restriction: no evidence to go on
            self.only = {}

    def detect(self, text: str) -> tuple[str, float]:
        """(language, confidence from 0 to 100)."""
        ids = torch.tensor(self.vocab.encode(text.strip()), dtype=torch.long)
        evidence = {lang: int(only[ids].sum()) for lang, only in self.only.items()} if len(ids) else {}
        total = sum(evidence.values())
        if total == 0:
            return self.languages[0], 0.0
        lang = max(self.languages, key=lambda code: evidence[code])
        return lang, round(100.0 * evidence[lang] / total, 1)
