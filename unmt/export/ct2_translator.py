"""`unmt translate --engine ctranslate2`: a Translator whose decoding runs in CTranslate2.

Everything around the decoding is Translator's own (empty lines, long lines cut into pieces, detokenising), so
both engines keep the same line-for-line guarantees; only translate_ids differs. It decodes the batches the torch
engine decodes (same length order, same batch size; each sentence under its own length limit), with the target
language's tag as the target prefix and the other language's subwords suppressed where the run restricts outputs.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from unmt.checkpoint import load_json
from unmt.data.vocab import EOS, Vocabulary, language_tag
from unmt.export.ctranslate2 import METADATA, import_ctranslate2
from unmt.export.output_folder import ExportError
from unmt.run_layout import OUTPUT_TOKENS, SUBWORD_MODEL
from unmt.translation.batching import length_batches
from unmt.translation.decode_options import DecodeOptions
from unmt.translation.model_io import load_output_masks
from unmt.translation.search import Hypotheses, max_output_length
from unmt.translation.translator import Translator


class CTranslate2Translator(Translator):
    def __init__(self, model_dir: Path, device: torch.device | str = "cpu", compute_type: str = "default",
                 threads: int = 0, max_input_len: int = 200):
        """`compute_type` as CTranslate2 takes it ("default" keeps the exported quantization); `threads`: CPU
        threads, each decoding its own batch (0: torch's thread count)."""
        ctranslate2 = import_ctranslate2()
        if not (model_dir / "model.bin").is_file() or not (model_dir / METADATA).is_file():
            raise ExportError(f"{model_dir} is not a model written by `unmt export --format ctranslate2`")
        self.info = load_json(model_dir / METADATA)
        if not isinstance(self.info.get("languages"), list) or not isinstance(self.info.get("max_positions"), int):
            raise ExportError(
                f"{model_dir / METADATA} lacks the languages or max_positions an export writes; export again"
            )
        self.vocab = Vocabulary.load(model_dir / SUBWORD_MODEL, self.info["languages"])
        self.device = torch.device(device)
        self.model = None  # no torch model: decoding is CTranslate2's
        # On a CPU, batches decode in parallel, one core each: splitting the small matrix products of one batch
        # across cores made CTranslate2 several times slower greedy on 2 cores (docs/export.md).
        workers = threads or torch.get_num_threads()
        inter, intra = (workers, 1) if self.device.type == "cpu" else (1, threads)
        self.parallel_batches = inter  # batches that decode side by side (unmt serve submits that many at once)
        try:
            self.engine = ctranslate2.Translator(
                str(model_dir), device=self.device.type, device_index=self.device.index or 0, compute_type=compute_type,
                inter_threads=inter, intra_threads=intra,
            )
        except RuntimeError as error:  # CTranslate2 checks model.bin's sizes against the file and says so this way
            raise ExportError(f"{model_dir / 'model.bin'} cannot be loaded ({str(error).splitlines()[0][:160]}); "
                              "the export is damaged: export the run again") from None
        self.output_masks = load_output_masks(model_dir / OUTPUT_TOKENS, len(self.vocab))
        # Suppressing every piece a language may not use is how CTranslate2 expresses the output restriction.
        self.suppressed = {
            lang: [[self.vocab.sp.id_to_piece(i)] for i in (~mask).nonzero().squeeze(1).tolist()]
            for lang, mask in self.output_masks.items()
        }
        self.max_input_len = min(max_input_len, (self.info["max_positions"] - 10) * 2 // 3)
        self.max_output_len = self.info["max_positions"]

    def search_ids(self, rows: list[list[int]], tgt_lang: str, options: DecodeOptions, batch_size: int | None = 64,
                   max_tokens: int | None = None, generator=None) -> list[Hypotheses]:
        """The torch engine's search_ids in CTranslate2, scores included. CTranslate2 scores the output without the
        language tag of the prefix, over the restricted distribution, and divides by the count of subwords it
        generated ** lenpen: EOS included when the output has one, as the torch engine does, but an output cut at
        the length cap gets length ** lenpen where the torch engine divides by (length + 1) ** lenpen; such scores
        are converted here (tests/test_decoding_scores.py checks the agreement).

        CTranslate2's max_decoding_length is one limit per batch, where the torch engine caps each sentence by its
        own source: a batch here holds sentences of one cap. Greedy decoding, whose output up to its EOS does not
        depend on the limit, first decodes the usual length batches under their longest source's cap and decodes
        again, among sentences of their own cap, only the lines that did not end within theirs."""
        caps = [max_output_length_for(len(row) + 1, options.max_len_a, options.max_len_b) for row in rows]
        batches = list(length_batches(rows, batch_size, max_tokens))
        greedy = options.beam == 1 and not options.sampling
        if not greedy:
            batches = [group for chunk in batches for group in _equal_caps(chunk, caps)]
        results, ended = self._decode(rows, batches, caps, tgt_lang, options)
        if greedy:
            redo = [k for k in range(len(rows)) if not ended[k]]
            if redo:
                again, _ = self._decode(rows, _equal_caps(redo, caps), caps, tgt_lang, options)
                for k in redo:
                    results[k] = again[k]
        return results

    def _decode(self, rows, batches, caps, tgt_lang, options) -> tuple[list[Hypotheses], list[bool]]:
        """The hypotheses of the rows in `batches`, each batch under its largest cap, and per row whether its best
        output ended (EOS) within the row's own cap."""
        sp = self.vocab.sp
        eos = sp.id_to_piece(EOS)
        results: list[Hypotheses] = [[] for _ in rows]
        ended = [False] * len(rows)
        prefix = [language_tag(tgt_lang)]
        pending = []  # every batch is submitted before any is awaited, so the engine's workers share them
        for chunk in batches:
            pending.append((chunk, self.engine.translate_batch(
                [[sp.id_to_piece(i) for i in rows[k]] for k in chunk],
                target_prefix=[prefix] * len(chunk),
                beam_size=options.beam,
                num_hypotheses=options.nbest,
                length_penalty=options.lenpen,
                max_decoding_length=max(caps[k] for k in chunk),
                min_decoding_length=options.min_len,  # 0 by default: an empty translation is allowed, as in torch
                no_repeat_ngram_size=options.no_repeat_ngram_size,
                sampling_topk=(options.topk or 0) if options.sampling else 1,
                sampling_topp=options.topp,
                sampling_temperature=options.temperature,
                max_input_length=0,  # long lines are cut by Translator.split_long, never truncated here
                suppress_sequences=self.suppressed.get(tgt_lang),
                return_scores=True,
                return_end_token=True,  # to tell an output that ended from one cut at the cap
                asynchronous=True,
            )))
        for chunk, outputs in pending:
            for k, output in zip(chunk, outputs):
                result = output.result()
                results[k] = [_torch_scored(score, pieces, eos, options.lenpen, sp)
                              for score, pieces in zip(result.scores, result.hypotheses)]
                best = result.hypotheses[0]
                # One subword of margin (the prefix's tag, however CTranslate2 counts it): a line decoded again
                # without need comes out the same.
                ended[k] = bool(best) and best[-1] == eos and len(best) < caps[k]
        return results, ended

    def generator(self, options: DecodeOptions) -> None:
        """CTranslate2 draws from its own random source, seeded here: one seed, the same samples."""
        if options.sampling and options.seed is not None:
            import_ctranslate2().set_random_seed(options.seed)

    def score_ids(self, src_rows: list[list[int]], tgt_rows: list[list[int]], tgt_lang: str,
                  batch_size: int | None = 64, max_tokens: int | None = None) -> list[float]:
        """log p(target, EOS | source), as the torch engine computes it. CTranslate2's score_batch knows nothing of
        the run's output restriction, so the target is forced as a prefix instead and each step's logits
        (return_logits_vocab) are restricted and normalised here, as the searches do."""
        sp = self.vocab.sp
        tag = language_tag(tgt_lang)
        allowed = self.output_masks.get(tgt_lang)
        results = [0.0] * len(src_rows)
        for chunk in length_batches(src_rows, batch_size, max_tokens):
            prefixes = [[tag] + [sp.id_to_piece(i) for i in tgt_rows[k]] for k in chunk]
            outputs = self.engine.translate_batch(
                [[sp.id_to_piece(i) for i in src_rows[k]] for k in chunk],
                target_prefix=prefixes,
                beam_size=1,
                # One step past the longest prefix: the step that scores its EOS
                max_decoding_length=max(len(prefix) for prefix in prefixes),
                min_decoding_length=0,
                max_input_length=0,
                return_logits_vocab=True,
            )
            for k, output in zip(chunk, outputs):
                expected = tgt_rows[k] + [EOS]
                steps = output.logits[0][: len(expected)]
                logits = torch.stack([torch.from_numpy(np.asarray(_on_cpu(step))) for step in steps]).float()
                if allowed is not None:
                    logits = logits.masked_fill(~allowed, float("-inf"))
                log_probs = torch.log_softmax(logits, dim=-1).gather(1, torch.tensor(expected)[:, None])
                results[k] = log_probs.double().sum().item()
        return results


def _on_cpu(storage):
    """A CTranslate2 StorageView numpy can read: one on a GPU is copied to the CPU first."""
    return storage if storage.device == "cpu" else storage.to_device(import_ctranslate2().Device.cpu)


def _torch_scored(score: float, pieces: list[str], eos: str, lenpen: float, sp) -> tuple[float, list[int]]:
    """(score as the torch engine gives it, ids without EOS) of one CTranslate2 hypothesis."""
    if pieces and pieces[-1] == eos:
        return score, [sp.piece_to_id(piece) for piece in pieces[:-1]]
    length = len(pieces)
    return (score * length**lenpen / (length + 1) ** lenpen if length else score), [sp.piece_to_id(p) for p in pieces]


def _equal_caps(chunk: list[int], caps: list[int]) -> list[list[int]]:
    """The rows of a batch grouped by their cap, so each group's one limit is every row's own."""
    groups: dict[int, list[int]] = {}
    for k in chunk:
        groups.setdefault(caps[k], []).append(k)
    return list(groups.values())


def max_output_length_for(source_length: int, ratio: float = 1.5, extra: int = 5) -> int:
    """The torch search's limit for a sentence whose source (EOS included) has this many tokens."""
    return max_output_length(torch.ones(1, source_length, dtype=torch.bool), ratio, extra)
