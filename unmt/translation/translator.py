"""Raw text in, detokenised text out: batching sentences by length through greedy or beam search."""
from __future__ import annotations

import logging

import torch

from unmt.data.vocab import Vocabulary
from unmt.models.ensemble import Ensemble
from unmt.models.transformer import Transformer
from unmt.translation.batching import source_batch
from unmt.translation.search import beam_search

log = logging.getLogger("unmt")


class Translator:
    def __init__(
        self,
        model: Transformer | Ensemble,
        vocab: Vocabulary,
        device: torch.device | str = "cpu",
        max_input_len: int = 200,
        output_masks: dict[str, torch.Tensor] | None = None,
    ):
        """`output_masks`: language -> (V,) bool of the subwords a translation into that language may use."""
        self.model, self.vocab, self.device = model, vocab, torch.device(device)
        self.output_masks = {lang: m.to(self.device) for lang, m in (output_masks or {}).items()}
        # Leave room in the position table for outputs somewhat longer than the input.
        self.max_input_len = min(max_input_len, (model.config.max_positions - 10) * 2 // 3)

    def translate_ids(self, rows: list[list[int]], tgt_lang: str, beam_size: int = 1, batch_size: int = 64) -> list[list[int]]:
        """Translates subword-id sentences; sorts by length so each batch pads little, then restores order."""
        was_training = self.model.training
        self.model.eval()
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
        results: list[list[int]] = [[] for _ in rows]
        lang_id = self.vocab.lang_ids[tgt_lang]
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            src, mask = source_batch([rows[i] for i in chunk], self.device)
            allowed = self.output_masks.get(tgt_lang)
            allowed = allowed.expand(len(chunk), -1) if allowed is not None else None
            with torch.no_grad():
                outputs = beam_search(self.model, src, mask, lang_id, beam_size=beam_size, allowed=allowed)
            for i, out in zip(chunk, outputs):
                results[i] = out
        self.model.train(was_training)
        return results

    def translate(self, lines: list[str], tgt_lang: str, beam_size: int = 1, batch_size: int = 64) -> list[str]:
        """One output per input line; empty or whitespace-only lines come back empty, untranslated.

        A line longer than the model can take is cut at word boundaries into pieces of at most `max_input_len`
        subwords; the pieces are translated separately and joined, with a warning, so no input is dropped."""
        outputs = [""] * len(lines)
        owners, rows = [], []  # owners[k] = the line that piece k belongs to
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            pieces = self.split_long(self.vocab.encode(line.strip()))
            if len(pieces) > 1:
                log.warning("line %d is longer than %d subwords: translated in %d pieces", i + 1, self.max_input_len, len(pieces))
            owners.extend([i] * len(pieces))
            rows.extend(pieces)
        translated: dict[int, list[str]] = {}
        for i, ids in zip(owners, self.translate_ids(rows, tgt_lang, beam_size, batch_size)):
            translated.setdefault(i, []).append(self.vocab.decode(ids))
        for i, pieces in translated.items():
            outputs[i] = " ".join(piece for piece in pieces if piece)
        return outputs

    def split_long(self, ids: list[int]) -> list[list[int]]:
        """Consecutive pieces of at most max_input_len ids, each cut before a word start where there is one."""
        pieces = []
        while len(ids) > self.max_input_len:
            cut = next((j for j in range(self.max_input_len, 0, -1) if self.vocab.starts_word[ids[j]]), self.max_input_len)
            pieces.append(ids[:cut])
            ids = ids[cut:]
        return [*pieces, ids]
