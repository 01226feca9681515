"""What a new UNMT run starts from before its first step, built from the monolingual corpora alone:

- the word-by-word lexicon of the first back-translations (induced, or read off an earlier run's translations),
  kept as lexicon.json in the run folder;
- the aligned skip-gram table that initialises the subword embeddings, kept as aligned_embeddings.pt.
Either may come from files made elsewhere instead (unmt.lexicon.pretrained). Both are cached in the run folder, so a
run restarted from step 0 (or copied elsewhere) skips their minutes.
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Callable

import torch

from unmt.checkpoint import CheckpointError, atomic_torch_save, atomic_write_text, find_run
from unmt.config import Config, ConfigError
from unmt.data.corpus import DataFiles, read_lines
from unmt.data.vocab import Vocabulary
from unmt.errors import DataError
from unmt.lexicon.dictionary_fit import check_dictionary_fit, dictionary_fit
from unmt.lexicon.dictionary_seed import filled_lexicon
from unmt.lexicon.from_translations import lexicon_from_translations
from unmt.lexicon.induce import induce_lexicon, translate_word_by_word
from unmt.lexicon.pair_signals import pair_signals
from unmt.lexicon.pipeline import lexicon_from_monolingual
from unmt.lexicon.pretrained import (
    PretrainedFiles,
    choose_translations,
    file_identity,
    lexicon_from_vectors,
    subword_table_from_vectors,
)
from unmt.lexicon.subword_init import aligned_subword_embeddings, initialise_embeddings_
from unmt.models.transformer import Transformer
from unmt.run_layout import ALIGNED_EMBEDDINGS, LEXICON, SUBWORD_MODEL
from unmt.translation.model_io import load_translator

log = logging.getLogger("unmt")

LEXICON_LINES = 100_000  # training lines per language that the lexicon and the aligned embeddings are built from


class TrainingSample(Mapping):
    """language -> the first LEXICON_LINES lines of its training corpus: what the pair signals, the lexicon and
    the aligned embeddings are all made from. Each language is read on first use, once, and then kept."""

    def __init__(self, files: DataFiles):
        self.files, self._lines = files, {}

    def __getitem__(self, lang: str) -> list[str]:
        if lang not in self._lines:
            self._lines[lang] = read_lines(self.files.path("train", lang), LEXICON_LINES)
        return self._lines[lang]

    def __iter__(self):
        return iter(self.files.languages)

    def __len__(self) -> int:
        return len(self.files.languages)


def word_by_word_translators(lexicon: dict[str, dict[str, str]]) -> dict[str, Callable[[str], str]]:
    """language -> translator into it, word by word through `lexicon` (keyed by the language translated into)."""
    return {lang: partial(translate_word_by_word, lexicon=words) for lang, words in lexicon.items()}


def word_by_word_lexicon(
    run_dir: Path,
    sample: TrainingSample,
    languages: tuple[str, str],
    config: Config,
    device: torch.device,
    pretrained: PretrainedFiles | None = None,
) -> dict[str, dict[str, str]]:
    """language translated into -> {word: its translation}: the run's lexicon (made and saved on first use; a
    dictionary file given now always wins over a saved lexicon)."""
    path = run_dir / LEXICON
    bt = config.back_translation
    if pretrained is not None and pretrained.dictionary is not None:
        lists = pretrained.dictionary
        src, tgt = languages
        corpora = sample
        check_dictionary_fit(
            dictionary_fit(lists[tgt], lists[src], corpora[src], corpora[tgt]), bt.dictionary, src, tgt
        )
        lexicon = {lang: choose_translations(lists[lang], bt.dictionary_order, corpora[lang]) for lang in languages}
        if bt.dictionary_fill:
            lexicon[tgt], lexicon[src] = filled_lexicon(corpora[src], corpora[tgt], lexicon[tgt], lexicon[src],
                                                        seed=config.runtime.seed)
        log.info("word-by-word lexicon from %s (%s; %s translation of each%s)", bt.dictionary,
                 ", ".join(f"{len(words)} words into {lang}" for lang, words in lexicon.items()), bt.dictionary_order,
                 "; words it lacks from embeddings aligned by it" if bt.dictionary_fill else "")
        atomic_write_text(path, json.dumps(lexicon, ensure_ascii=False, indent=0))
    elif path.is_file():
        lexicon = json.loads(path.read_text(encoding="utf-8"))
    else:
        if bt.lexicon_from:
            lexicon = lexicon_from_earlier_run(run_dir, bt.lexicon_from, sample, languages, device)
        elif bt.lexicon_method == "vectors":
            if pretrained is None or pretrained.vectors is None:
                raise ConfigError(f"{path} is missing and back_translation.lexicon_method vectors makes it from the "
                                  "vector files, which only a new run reads: start the run again")
            lexicon = lexicon_from_vectors(pretrained.vectors, {lang: sample[lang] for lang in languages})
        else:
            log.info("inducing a bilingual lexicon from the monolingual corpora (%s)", bt.lexicon_method)
            lines = [sample[lang] for lang in languages]
            if bt.lexicon_method == "anchors":
                induced = induce_lexicon(*lines)
            else:
                induced = lexicon_from_monolingual(*lines, bt.lexicon_method, seed=config.runtime.seed)
            src, tgt = languages
            lexicon = {tgt: induced.forward, src: induced.backward}  # keyed by the language translated into
        atomic_write_text(path, json.dumps(lexicon, ensure_ascii=False, indent=0))
    return {lang: lexicon[lang] for lang in languages}


def lexicon_from_earlier_run(run_dir: Path, name: str, sample: TrainingSample, languages: tuple[str, str],
                             device: torch.device) -> dict:
    """The lexicon read off an earlier run's greedy translations of this run's training corpora."""
    try:
        earlier = find_run(run_dir.parent, name)
    except CheckpointError as error:
        raise ConfigError(f"back_translation.lexicon_from: {error}") from None
    translator, info = load_translator(earlier, device=device)
    if set(info["languages"]) != set(languages):
        raise ConfigError(
            f"back_translation.lexicon_from: run {earlier.name} translates {'/'.join(info['languages'])}, "
            f"this run {'/'.join(languages)}"
        )
    corpora = {lang: [line for line in sample[lang] if line.strip()] for lang in languages}
    log.info(
        "reading a lexicon off %s's translations of %s sentences",
        earlier.name,
        " + ".join(str(len(c)) for c in corpora.values()),
    )
    translate = partial(translator.translate, batch_size=128)
    return lexicon_from_translations(corpora, translate, *languages)


def initialise_embeddings(
    model: Transformer,
    run_dir: Path,
    vocab: Vocabulary,
    sample: TrainingSample,
    languages: tuple[str, str],
    config: Config,
    pretrained: PretrainedFiles | None = None,
) -> float | None:
    """Copies the aligned table (from skip-gram on the corpora, or from the vector files) into the model's
    embeddings; returns the alignment's unsupervised criterion (None for vector files, aligned elsewhere). Method
    `dictionary` seeds the alignment with the dictionary file's pairs, one translation per word as the word-by-word
    lexicon chooses it. A cached table made for another width, vocabulary, method, seed or file is recomputed."""
    p, bt = config.pretraining, config.back_translation
    method = "files" if p.src_vectors else p.init_embeddings
    path = run_dir / ALIGNED_EMBEDDINGS
    vocabulary = hashlib.sha256((run_dir / SUBWORD_MODEL).read_bytes()).hexdigest()
    key = {"method": method, "dim": config.model.d_model, "vocabulary": vocabulary, "seed": config.runtime.seed}
    if p.src_vectors:
        key["files"] = file_identity([p.src_vectors, p.tgt_vectors])
    if method == "dictionary":
        key["files"] = file_identity([f for f in (bt.dictionary, bt.reverse_dictionary) if f])
    if method == "dictionary" and (pretrained is None or pretrained.dictionary is None):
        return None  # a rank other than 0, which reads no files: rank 0's weights are broadcast to it
    cached = torch.load(path, weights_only=True) if path.is_file() else None
    if cached is not None and cached["key"] == key:
        vectors, found, criterion = cached["vectors"], cached["found"], cached.get("criterion")
    else:
        criterion = None
        if method == "files":
            vectors, found = subword_table_from_vectors(vocab, pretrained.vectors, config.model.d_model)
        else:
            lines = {lang: sample[lang] for lang in languages}
            align = partial(aligned_subword_embeddings, vocab, lines, languages, config.model.d_model,
                            seed=config.runtime.seed)
            if method == "dictionary":
                try:
                    vectors, found, criterion = align(
                        "dictionary", dictionary=dictionary_pairs(pretrained, bt.dictionary_order, sample, languages)
                    )
                except DataError as error:
                    log.warning("the embeddings are aligned without the dictionary (auto): %s", error)
                    vectors, found, criterion = align("auto")
            else:
                vectors, found, criterion = align(method)
        # never half a table to trust
        atomic_torch_save({"key": key, "vectors": vectors, "found": found, "criterion": criterion}, path)
    initialise_embeddings_(model.embed, vectors, found)
    return criterion


def dictionary_pairs(pretrained: PretrainedFiles, order: str, sample: TrainingSample,
                     languages: tuple[str, str]) -> list[tuple[str, str]]:
    """(source word, target word) of the dictionary in both directions, one translation per word as chosen for the
    word-by-word lexicon."""
    src, tgt = languages
    forward = choose_translations(pretrained.dictionary[tgt], order, sample[tgt])
    backward = choose_translations(pretrained.dictionary[src], order, sample[src])
    pairs = dict.fromkeys(forward.items())
    pairs.update(dict.fromkeys((source, target) for target, source in backward.items()))
    return list(pairs)


def describe_pair(sample: TrainingSample, languages: tuple[str, str], vocab: Vocabulary) -> dict:
    """The pair's shared-spelling signals (unmt.lexicon.pair_signals) on the lines the starting points are built
    from."""
    signals = pair_signals(*(sample[lang] for lang in languages), vocab)
    log.info(
        "the corpora share %d frequent words (%.1f%% of the smaller vocabulary), %d anchors, %.1f%% of subword tokens",
        signals["shared_words"],
        100 * signals["shared_word_share"],
        signals["anchors"],
        100 * signals["shared_subword_share"],
    )
    return signals
