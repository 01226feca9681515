"""Raw text in, detokenised text out: batching sentences by length through greedy or beam search."""
from __future__ import annotations

import logging
from typing import NamedTuple

import torch

from unmt.data.vocab import Vocabulary
from unmt.models.ensemble import Ensemble
from unmt.models.transformer import Transformer
from unmt.translation.batching import length_batches, source_batch
from unmt.translation.decode_options import DecodeOptions
from unmt.translation.scoring import force_decode
from unmt.translation.search import Hypotheses, search

log = logging.getLogger("unmt")


class Translation(NamedTuple):
    text: str  # detokenised
    score: float  # log p / (length + 1) ** lenpen, as the search ranks
    tokens: int  # output subwords, EOS excluded


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
        self.max_output_len = model.config.max_positions  # the language tag, then the target: force-decoding's limit

    def search_ids(self, rows: list[list[int]], tgt_lang: str, options: DecodeOptions, batch_size: int | None = 64,
                   max_tokens: int | None = None, generator: torch.Generator | None = None) -> list[Hypotheses]:
        """Up to options.nbest scored hypotheses per subword-id sentence, best first; sorts by length so each batch
        pads little, then restores order."""
        was_training = self.model.training
        self.model.eval()
        results: list[Hypotheses] = [[] for _ in rows]
        lang_id = self.vocab.lang_ids[tgt_lang]
        for chunk in length_batches(rows, batch_size, max_tokens):
            src, mask = source_batch([rows[i] for i in chunk], self.device)
            allowed = self.output_masks.get(tgt_lang)
            allowed = allowed.expand(len(chunk), -1) if allowed is not None else None
            with torch.no_grad():
                outputs = search(self.model, src, mask, lang_id, options, allowed, generator)
            for i, out in zip(chunk, outputs):
                results[i] = out
        self.model.train(was_training)
        return results

    def generator(self, options: DecodeOptions) -> torch.Generator | None:
        """The random source of one decoding job: seeded on the model's device when a --seed asks for it."""
        if not options.sampling or options.seed is None:
            return None
        return torch.Generator(device=self.device).manual_seed(options.seed)

    def score_ids(
        self, src_rows: list[list[int]], tgt_rows: list[list[int]], tgt_lang: str, batch_size: int | None = 64,
        max_tokens: int | None = None
    ) -> list[float]:
        """log p(target, EOS | source) of each pair of subword-id sentences (scoring.force_decode)."""
        was_training = self.model.training
        self.model.eval()
        results = [0.0] * len(src_rows)
        for chunk in length_batches(src_rows, batch_size, max_tokens):
            src, mask = source_batch([src_rows[i] for i in chunk], self.device)
            allowed = self.output_masks.get(tgt_lang)
            allowed = allowed.expand(len(chunk), -1) if allowed is not None else None
            sums = force_decode(
                self.model, src, mask, [tgt_rows[i] for i in chunk], self.vocab.lang_ids[tgt_lang], allowed
            )
            for i, value in zip(chunk, sums):
                results[i] = value
        self.model.train(was_training)
        return results

    def translate_ids(
        self, rows: list[list[int]], tgt_lang: str, beam_size: int = 1, batch_size: int = 64
    ) -> list[list[int]]:
        """The best translation of each subword-id sentence."""
        found = self.search_ids(rows, tgt_lang, DecodeOptions(beam=beam_size), batch_size)
        return [hypotheses[0][1] for hypotheses in found]

    def translate(self, lines: list[str], tgt_lang: str, beam_size: int = 1, batch_size: int = 64) -> list[str]:
        """One output per input line; empty or whitespace-only lines come back empty, untranslated.

        A line longer than the model can take is cut at word boundaries into pieces of at most `max_input_len`
        subwords; the pieces are translated separately and joined, with a warning, so no input is dropped."""
        found = self.translate_hypotheses(lines, tgt_lang, DecodeOptions(beam=beam_size), batch_size)
        return [hypotheses[0].text for hypotheses in found]

    def translate_nbest(self, lines: list[str], tgt_lang: str, nbest: int, beam_size: int,
                        batch_size: int = 64) -> list[list[tuple[str, float]]]:
        """Per input line, up to `nbest` (detokenised text, score) pairs, best first; the score is the one the
        beam ranks by, log p / (length + 1) ** 1.0. An empty line gives [("", 0.0)]. A line cut into pieces
        (see translate) gives the k-th hypotheses of its pieces joined, with their scores summed."""
        options = DecodeOptions(beam=beam_size, nbest=nbest).check()
        found = self.translate_hypotheses(lines, tgt_lang, options, batch_size)
        return [[(h.text, h.score) for h in hypotheses] for hypotheses in found]

    def translate_hypotheses(
        self, lines: list[str], tgt_lang: str, options: DecodeOptions, batch_size: int | None = 64,
        max_tokens: int | None = None, generator: torch.Generator | None = None
    ) -> list[list[Translation]]:
        """The scored hypotheses of each line, best first, with the handling of empty and long lines of translate."""
        owners, rows = self.pieces(lines)
        found = self.search_ids(rows, tgt_lang, options, batch_size, max_tokens, generator) if rows else []
        per_line: dict[int, list[Hypotheses]] = {}
        for i, hypotheses in zip(owners, found):
            per_line.setdefault(i, []).append(hypotheses)
        results = [[Translation("", 0.0, 0)] for _ in lines]
        for i, pieces in per_line.items():
            results[i] = [self._joined(pieces, k) for k in range(max(len(hypotheses) for hypotheses in pieces))]
        return results

    def _joined(self, pieces: list[Hypotheses], k: int) -> Translation:
        """The k-th hypothesis of a line from those of its pieces (a piece with fewer gives its last)."""
        chosen = [hypotheses[min(k, len(hypotheses) - 1)] for hypotheses in pieces]
        texts = [self.vocab.decode(ids) for _, ids in chosen]
        return Translation(" ".join(text for text in texts if text), sum(score for score, _ in chosen),
                           sum(len(ids) for _, ids in chosen))

    def pieces(self, lines: list[str]) -> tuple[list[int], list[list[int]]]:
        """The subword pieces to decode, and owners[k] = the line piece k belongs to; blank lines have none."""
        owners, rows = [], []
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            pieces = self.split_long(self.vocab.encode(line.strip()))
            if len(pieces) > 1:
                log.warning(
                    "line %d is longer than %d subwords: translated in %d pieces", i + 1, self.max_input_len,
                    len(pieces)
                )
            owners.extend([i] * len(pieces))
            rows.extend(pieces)
        return owners, rows

    def split_long(self, ids: list[int]) -> list[list[int]]:
        """Consecutive pieces of at most max_input_len ids, each cut before a word start where there is one."""
        pieces = []
        while len(ids) > self.max_input_len:
            cut = next(
                (j for j in range(self.max_input_len, 0, -1) if self.vocab.starts_word[ids[j]]), self.max_input_len
            )
            pieces.append(ids[:cut])
            ids = ids[cut:]
        return [*pieces, ids]
