"""Starting points made elsewhere, the setting of Lample et al. 2018: cross-lingual word (or subword) vectors in
the fastText/word2vec text format, one file per language in one shared space (MUSE's aligned Wikipedia vectors,
or `unmt embed` + `unmt align`), and a bilingual dictionary in MUSE's 'source target' format.

The vectors start the subword embeddings: a vocabulary piece that is a whole word takes that word's vector, any
other piece the mean vector of the words it is part of. The dictionary, or the CSLS nearest neighbours in the
vector space, gives the word-by-word lexicon of the first back-translations. A dictionary word with several
translations takes the file's first, or the one its corpus uses most (`choose_translations`)."""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from unmt.data.vocab import WORD_START, Vocabulary
from unmt.errors import DataError
from unmt.lexicon.align import best_translations, csls_scores
from unmt.lexicon.embeddings import WordEmbeddings, normalize, words_of
from unmt.lexicon.evaluation import read_pairs
from unmt.lexicon.subword_init import unit_row_means
from unmt.lexicon.vectors_io import read_vectors

log = logging.getLogger("unmt")

MAX_VECTORS = 200_000  # most frequent words kept per file: MUSE's files hold 200k, full fastText ones millions
LEXICON_WORDS = 20_000  # most frequent corpus words per language that the vector lexicon translates


@dataclass
class PretrainedFiles:
    vectors: dict[str, WordEmbeddings] | None  # language -> its vectors, one shared space
    dictionary: (
        dict[str, dict[str, list[str]]] | None
    )  # language translated into -> {word: its translations, in file order}


def read_pretrained(src: str, tgt: str, src_vectors: str, tgt_vectors: str, dictionary: str,
                    reverse_dictionary: str, with_vectors: bool = True) -> PretrainedFiles:
    """Reads and checks every file named (the vectors only `with_vectors`: they can take a while), before any
    other work: a malformed one stops the run at once."""
    vectors = None
    if src_vectors and with_vectors:
        vectors = {
            lang: read_vectors(Path(path), MAX_VECTORS) for lang, path in ((src, src_vectors), (tgt, tgt_vectors))
        }
        dims = {lang: v.vectors.shape[1] for lang, v in vectors.items()}
        if dims[src] != dims[tgt]:
            raise DataError(
                f"{src_vectors} holds {dims[src]}-dimensional vectors and {tgt_vectors} {dims[tgt]}-dimensional "
                "ones: the two languages must share one space"
            )
    lexicon = None
    if dictionary:
        pairs = read_pairs(Path(dictionary))
        forward = translation_lists(pairs)
        if reverse_dictionary:
            backward = translation_lists(read_pairs(Path(reverse_dictionary)))
        else:
            backward = translation_lists((t, s) for s, t in pairs)
        lexicon = {tgt: forward, src: backward}
    return PretrainedFiles(vectors, lexicon)


def file_identity(paths: list[str]) -> list[list]:
    """Which files these are, cheaply (path, size, modification time): what a cached table was made from."""
    return [[str(Path(p).resolve()), Path(p).stat().st_size, Path(p).stat().st_mtime_ns] for p in paths]


def translation_lists(pairs) -> dict[str, list[str]]:
    """Each source word's translations, without repeats, in the file's order."""
    lists: dict[str, list[str]] = {}
    for source, target in pairs:
        translations = lists.setdefault(source, [])
        if target not in translations:
            translations.append(target)
    return lists


def choose_translations(
    lists: dict[str, list[str]], order: str, target_lines: list[str] | None = None
) -> dict[str, str]:
    """One translation per word. `first`: the file's first, which MUSE's dictionaries list most frequent first.
    `frequency`: the one the target corpus uses most (case aside), the file's order breaking ties; general
    dictionaries list senses in no order that suits a given corpus (English "dog": Czech "hák" before "pes")."""
    if order == "first":
        return {word: translations[0] for word, translations in lists.items()}
    counts = Counter(w.lower() for line in target_lines for w in words_of(line))
    return {word: max(translations, key=lambda t: (counts[t.lower()], -translations.index(t)))
            for word, translations in lists.items()}


def lexicon_from_vectors(spaces: dict[str, WordEmbeddings], corpora: dict[str, list[str]]) -> dict[str, dict[str, str]]:
    """Each frequent corpus word's CSLS nearest neighbour among the other language's frequent corpus words, in the
    shared vector space: the word-by-word translation of Lample et al. 2018. Keyed by the language translated into."""
    words = {lang: _corpus_words_with_vectors(spaces[lang], corpora[lang]) for lang in spaces}
    (src, (src_words, src_rows)), (tgt, (tgt_words, tgt_rows)) = words.items()
    for lang, found in ((src, src_words), (tgt, tgt_words)):
        if len(found) < 2:
            raise DataError(
                f"the {lang} vectors hold fewer than 2 of the {lang} corpus' words: wrong file or language?"
            )
    forward, backward = best_translations(csls_scores(src_rows, tgt_rows), src_words, tgt_words)
    log.info("lexicon from the vector files: %d %s and %d %s words", len(src_words), src, len(tgt_words), tgt)
    return {tgt: forward, src: backward}


def _corpus_words_with_vectors(space: WordEmbeddings, lines: list[str]) -> tuple[list[str], np.ndarray]:
    """The corpus' most frequent words that have a vector (as written, else in lower case), with unit vectors."""
    index = space.index()
    counts = Counter(word for line in lines for word in words_of(line))
    found, rows = [], []
    for word, _ in counts.most_common():
        key = word if word in index else word.lower()
        if key in index and not (word != key and key in counts):  # a lower-cased form that is itself a word goes alone
            found.append(word)
            rows.append(index[key])
            if len(found) == LEXICON_WORDS:
                break
    return found, normalize(space.vectors[rows]) if rows else np.zeros((0, space.vectors.shape[1]))


def subword_table_from_vectors(
    vocab: Vocabulary, spaces: dict[str, WordEmbeddings], dim: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """(V, dim) unit vectors and the (V,) mask of rows that got one, averaged over the languages that have them.
    Vectors of another width are brought to `dim` by one projection shared by both languages (principal
    components, or zero padding), so that the alignment survives."""
    languages = list(spaces)
    vectors = dict(zip(languages, _to_width([normalize(spaces[lang].vectors) for lang in languages], dim)))
    size = len(vocab)
    skip = [vocab.blank, *vocab.lang_ids.values()]  # their meaning is the model's own
    direct, direct_count = np.zeros((size, dim)), np.zeros(size)
    spread, spread_count = np.zeros((size, dim)), np.zeros(size)
    for lang in languages:
        words, rows = spaces[lang].words, vectors[lang]
        index = spaces[lang].index()
        subword_file = any(w.startswith(WORD_START) for w in words[:1000])
        for i in range(size):
            if i in skip or vocab.sp.is_control(i) or vocab.sp.is_unknown(i):
                continue
            key = _whole_word_key(vocab.sp.id_to_piece(i), index, subword_file)
            if key is not None:
                direct[i] += rows[index[key]]
                direct_count[i] += 1
        if not subword_file:  # other pieces: the mean of the words they are part of
            for start in range(0, len(words), 20_000):
                encoded = vocab.sp.encode(words[start:start + 20_000], out_type=int)
                owners = np.repeat(np.arange(start, start + len(encoded)), [len(ids) for ids in encoded])
                pieces = np.fromiter((i for ids in encoded for i in ids), dtype=np.int64, count=len(owners))
                np.add.at(spread, pieces, rows[owners])
                np.add.at(spread_count, pieces, 1)
    table, whole = unit_row_means(direct, direct_count)
    spread_table, part = unit_row_means(spread, spread_count)
    part &= ~whole
    part[skip] = False  # a word spelled like a language tag must not give the tag its vector
    table[part] = spread_table[part]
    found = whole | part
    log.info("initialised %d of %d subword embeddings from the vector files (%d whole words, %d from the words "
             "they are part of)", found.sum(), size, whole.sum(), part.sum())
    return torch.from_numpy(table).float(), torch.from_numpy(found)


def _whole_word_key(piece: str, index: dict[str, int], subword_file: bool) -> str | None:
    if subword_file:
        return piece if piece in index else None
    if not piece.startswith(WORD_START) or len(piece) == 1:
        return None
    word = piece[1:]
    return word if word in index else word.lower() if word.lower() in index else None


def _to_width(spaces: list[np.ndarray], dim: int) -> list[np.ndarray]:
    width = spaces[0].shape[1]
    if width < dim:
        return [np.pad(s, ((0, 0), (0, dim - width))) for s in spaces]
    if width > dim:  # the leading principal directions of both languages together: one map for both
        stacked = np.concatenate(spaces)
        _, eigenvectors = np.linalg.eigh(stacked.T @ stacked)
        projection = eigenvectors[:, ::-1][:, :dim]
        log.info("vector files are %d-dimensional, the model %d: kept the %d principal directions", width, dim, dim)
        return [s @ projection for s in spaces]
    return spaces
