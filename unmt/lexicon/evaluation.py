"""Scoring a cross-lingual map against a bilingual test dictionary: precision@k of CSLS retrieval
(the protocol of Conneau et al. 2018)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from unmt.errors import DataError
from unmt.lexicon.align import csls_scores
from unmt.lexicon.embeddings import WordEmbeddings


def read_pairs(path: Path) -> list[tuple[str, str]]:
    """A bilingual dictionary file in the MUSE text format: one 'source target' pair per line, separated by a
    space or a tab; a word may have several lines, blank lines are skipped. In file order."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"dictionary file {path} does not exist")
    pairs = []
    try:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                parts = line.split()
                if not parts:
                    continue
                if len(parts) != 2:
                    raise DataError(f"{path}:{number}: expected 'source target' (two words), got {line.strip()[:80]!r}")
                pairs.append((parts[0], parts[1]))
    except UnicodeDecodeError as error:
        raise DataError(f"{path} is not UTF-8 text ({error.reason} at byte {error.start})") from None
    if not pairs:
        raise DataError(f"dictionary file {path} holds no 'source target' pairs")
    return pairs


def read_dictionary(path: Path) -> dict[str, set[str]]:
    """A test dictionary: each source word's set of gold translations."""
    gold: dict[str, set[str]] = {}
    for source, target in read_pairs(path):
        gold.setdefault(source, set()).add(target)
    return gold


def inverted_dictionary(gold: dict[str, set[str]]) -> dict[str, set[str]]:
    """The reverse direction of a test dictionary: each target word's set of source words."""
    reverse: dict[str, set[str]] = {}
    for source, targets in gold.items():
        for target in targets:
            reverse.setdefault(target, set()).add(source)
    return reverse


def write_dictionary(path: Path, pairs: dict[str, set[str]] | dict[str, str]) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for source, targets in pairs.items():
            for target in sorted([targets] if isinstance(targets, str) else targets):
                out.write(f"{source} {target}\n")


def precision_at_k(
    source: WordEmbeddings, target: WordEmbeddings, W: np.ndarray, gold: dict[str, set[str]], ks=(1, 5)
) -> dict:
    """Share of gold source words (present in both vocabularies) with a gold translation among the top k CSLS
    neighbours of W·x. Returns {"p@1": ..., "p@5": ..., "words": n}."""
    source_index, target_index = source.index(), target.index()
    queries = [w for w in gold if w in source_index and any(t in target_index for t in gold[w])]
    if not queries:
        return {**{f"p@{k}": 0.0 for k in ks}, "words": 0}
    mapped = source.vectors @ W.T
    scores = csls_scores(mapped, target.vectors)[[source_index[w] for w in queries]]
    ranked = np.argsort(-scores, axis=1)[:, : max(ks)]
    hits = np.array([[target.words[j] in gold[w] for j in row] for w, row in zip(queries, ranked)])
    return {**{f"p@{k}": float(hits[:, :k].any(1).mean()) for k in ks}, "words": len(queries)}
