"""What a UNMT run reads from its data directory besides the monolingual training corpora."""
from __future__ import annotations

import logging

import torch

from unmt.config import ConfigError
from unmt.data.corpus import DataError, DataFiles, MonolingualCorpus, load_text_dataset, read_lines
from unmt.data.parallel import SPLIT as PARALLEL
from unmt.data.parallel import ParallelCorpus
from unmt.data.vocab import EOS, Vocabulary

log = logging.getLogger("unmt")


def parallel_corpus(files: DataFiles, languages: tuple[str, str], vocab: Vocabulary, max_len: int) -> ParallelCorpus:
    """The parallel.<lang> pairs that losses.mt trains on."""
    if not files.has(PARALLEL):
        names = " and ".join(str(files.path(PARALLEL, lang)) for lang in languages)
        raise ConfigError(
            f"losses.mt trains on parallel pairs: it needs {names} (line i of one translating line i of the other)"
        )
    for lang in languages:
        if files.path(PARALLEL, lang).stat().st_size == 0:
            raise DataError(f"the parallel file {files.path(PARALLEL, lang)} is empty")
    corpus = ParallelCorpus(*(load_text_dataset(files.path(PARALLEL, lang)) for lang in languages), vocab, max_len)
    log.info("supervised translation on %d parallel pairs (losses.mt)", len(corpus))
    return corpus


def output_masks(corpora: dict[str, MonolingualCorpus], vocab_size: int) -> dict[str, torch.Tensor]:
    """Per language, the subwords its training corpus uses (plus EOS); saved for `unmt translate`."""
    masks = {}
    for lang, corpus in corpora.items():
        mask = corpus.token_mask(vocab_size)
        mask[EOS] = True
        masks[lang] = torch.from_numpy(mask)
    return masks


def valid_sentences(files: DataFiles, languages: tuple[str, str], n: int,
                    valid_lines: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """The sentences of the round-trip criterion: valid.<lang> (`valid_lines` when the caller read it already), or
    the first training lines without them."""
    if files.has("valid"):
        valid_lines = valid_lines or {lang: read_lines(files.path("valid", lang)) for lang in languages}
        return {lang: [s for s in valid_lines[lang] if s.strip()][:n] for lang in languages}
    log.warning("no valid.<lang> files: the round-trip criterion uses the first %d training lines", n)
    return {lang: read_lines(files.path("train", lang), n) for lang in languages}
