"""Initial subword embeddings for the shared encoder-decoder, from the two monolingual corpora alone: skip-gram
on each language's subword text, the source space mapped onto the target space (identical strings or
adversarial, then Procrustes refinement), and each vocabulary row set to the average of its aligned vectors in
the languages that use it. Translations then start near each other, which is the first principle of Lample et
al. 2018 (initialisation)."""
from __future__ import annotations

import logging
from functools import partial

import numpy as np
import torch

from unmt.data.vocab import Vocabulary
from unmt.lexicon.align import mean_csls_cosine
from unmt.lexicon.dictionary_seed import dictionary_map, seed_pairs
from unmt.lexicon.pipeline import map_embeddings
from unmt.lexicon.skipgram import train_skipgram

log = logging.getLogger("unmt")


def aligned_subword_embeddings(
    vocab: Vocabulary, lines: dict[str, list[str]], languages: tuple[str, str], dim: int, method: str, seed: int = 0,
    dictionary: list[tuple[str, str]] | None = None,
) -> tuple[torch.Tensor, torch.Tensor, float]:
    """Returns (V, dim) vectors of unit length, a (V,) mask of the rows that got one, and the map's unsupervised
    criterion (mean CSLS cosine): how well the two subword spaces were brought together. Method `dictionary` seeds
    the map with `dictionary`'s (source word, target word) pairs whose words are one subword each."""
    src, tgt = languages
    spaces = {
        lang: train_skipgram(
            [vocab.sp.encode(line, out_type=str) for line in lines[lang]], dim=dim, epochs=5, min_count=2, seed=seed
        )
        for lang in languages
    }
    # Only the map is needed here: building a subword lexicon would cost a V x V CSLS pass at start-up.
    if method == "dictionary":
        pairs = seed_pairs(dictionary or [], spaces[src], spaces[tgt], partial(whole_word_piece, vocab))
        W = dictionary_map(spaces[src], spaces[tgt], pairs)
        report = {"stages": [{"criterion": mean_csls_cosine(spaces[src], spaces[tgt], W)}]}
    else:
        W, report = map_embeddings(spaces[src], spaces[tgt], method, refinements=5, seed=seed)
    total, count = np.zeros((len(vocab), dim)), np.zeros(len(vocab))
    for lang, vectors in ((src, spaces[src].vectors @ W.T), (tgt, spaces[tgt].vectors)):
        for piece, vector in zip(spaces[lang].words, vectors):
            index = vocab.sp.piece_to_id(piece)
            total[index] += vector
            count[index] += 1
    table, found = unit_row_means(total, count)
    criterion = float(report["stages"][-1]["criterion"])
    log.info("initialised %d of %d subword embeddings from the %s-aligned skip-gram space (criterion %.3f)",
             found.sum(), len(vocab), method, criterion)
    return torch.from_numpy(table).float(), torch.from_numpy(found), criterion


def whole_word_piece(vocab: Vocabulary, word: str) -> str | None:
    """The one subword a word is encoded as at the start of a sentence, or None when it takes several."""
    pieces = vocab.sp.encode(word, out_type=str)
    return pieces[0] if len(pieces) == 1 else None


def unit_row_means(total: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's sum over its count, scaled to unit length, and the mask of rows that had any (others stay 0)."""
    found = count > 0
    table = np.zeros_like(total)
    table[found] = total[found] / count[found, None]
    table[found] /= np.maximum(np.linalg.norm(table[found], axis=1, keepdims=True), 1e-8)
    return table, found


def initialise_embeddings_(embedding: torch.nn.Embedding, vectors: torch.Tensor, found: torch.Tensor) -> None:
    """Copies the aligned rows in as they are: a unit vector of dimension d has a root-mean-square component of
    d^-1/2, the standard deviation of the random init, so the embedding scale the model expects is kept."""
    with torch.no_grad():
        embedding.weight[found] = vectors[found].to(embedding.weight)
