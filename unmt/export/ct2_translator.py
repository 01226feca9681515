"""`unmt translate --engine ctranslate2`: a Translator whose decoding runs in CTranslate2.

Everything around the decoding is Translator's own (empty lines, long lines cut into pieces, detokenising), so
both engines keep the same line-for-line guarantees; only translate_ids differs. It decodes exactly the batches
the torch engine decodes (same length order, same batch size, same length limit per batch), with the target
language's tag as the target prefix and the other language's subwords suppressed where the run restricts outputs.
"""
from __future__ import annotations

from pathlib import Path

import torch

from unmt.checkpoint import load_json
from unmt.data.vocab import Vocabulary, language_tag
from unmt.export.ctranslate2 import METADATA, import_ctranslate2
from unmt.export.output_folder import ExportError
from unmt.translation.model_io import load_output_masks
from unmt.translation.search import max_output_length
from unmt.translation.translator import Translator


class CTranslate2Translator(Translator):
    def __init__(self, model_dir: Path, device: str = "cpu", compute_type: str = "default", threads: int = 0,
                 max_input_len: int = 200):
        """`compute_type` as CTranslate2 takes it ("default" keeps the exported quantization); `threads`: CPU
        threads, each decoding its own batch (0: torch's thread count)."""
        ctranslate2 = import_ctranslate2()
        if not (model_dir / "model.bin").is_file() or not (model_dir / METADATA).is_file():
            raise ExportError(f"{model_dir} is not a model written by `unmt export --format ctranslate2`")
        self.info = load_json(model_dir / METADATA)
        if not isinstance(self.info.get("languages"), list) or not isinstance(self.info.get("max_positions"), int):
            raise ExportError(f"{model_dir / METADATA} lacks the languages or max_positions an export writes; export again")
        self.vocab = Vocabulary.load(model_dir / "spm.model", self.info["languages"])
        self.device = device
        self.model = None  # no torch model: decoding is CTranslate2's
        # On a CPU, batches decode in parallel, one core each: splitting the small matrix products of one batch
        # across cores made CTranslate2 4.3x slower greedy on 2 cores (docs/export.md).
        workers = threads or torch.get_num_threads()
        inter, intra = (workers, 1) if device == "cpu" else (1, threads)
        try:
            self.engine = ctranslate2.Translator(
                str(model_dir), device=device, compute_type=compute_type, inter_threads=inter, intra_threads=intra
            )
        except RuntimeError as error:  # CTranslate2 checks model.bin's sizes against the file and says so this way
            raise ExportError(f"{model_dir / 'model.bin'} cannot be loaded ({str(error).splitlines()[0][:160]}); "
                              "the export is damaged: export the run again") from None
        self.output_masks = load_output_masks(model_dir / "output_tokens.json", len(self.vocab))
        # Suppressing every piece a language may not use is how CTranslate2 expresses the output restriction.
        self.suppressed = {
            lang: [[self.vocab.sp.id_to_piece(i)] for i in (~mask).nonzero().squeeze(1).tolist()]
            for lang, mask in self.output_masks.items()
        }
        self.max_input_len = min(max_input_len, (self.info["max_positions"] - 10) * 2 // 3)

    def translate_ids(self, rows: list[list[int]], tgt_lang: str, beam_size: int = 1,
                      batch_size: int = 64) -> list[list[int]]:
        sp = self.vocab.sp
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
        results: list[list[int]] = [[] for _ in rows]
        prefix = [language_tag(tgt_lang)]
        pending = []  # every batch is submitted before any is awaited, so the engine's workers share them
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            source = [[sp.id_to_piece(i) for i in rows[k]] for k in chunk]
            longest = max(len(rows[k]) for k in chunk) + 1  # + the EOS CTranslate2 appends (add_source_eos)
            pending.append((chunk, self.engine.translate_batch(
                source,
                target_prefix=[prefix] * len(chunk),
                beam_size=beam_size,
                length_penalty=1.0,
                max_decoding_length=max_output_length_for(longest),
                min_decoding_length=0,  # an empty translation is allowed, as in the torch search
                max_input_length=0,  # long lines are cut by Translator.split_long, never truncated here
                suppress_sequences=self.suppressed.get(tgt_lang),
                asynchronous=True,
            )))
        for chunk, outputs in pending:
            for k, output in zip(chunk, outputs):
                results[k] = [sp.piece_to_id(piece) for piece in output.result().hypotheses[0]]
        return results


def max_output_length_for(source_length: int) -> int:
    """The torch search's limit for a batch whose longest source (EOS included) has this many tokens."""
    return max_output_length(torch.ones(1, source_length, dtype=torch.bool))
