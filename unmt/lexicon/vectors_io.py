"""Word vectors on disk in the word2vec/fastText text format ('V dim' header, then 'word v1 ... vdim'), plus a
count column so that frequency information survives a round trip; readers of the plain format still work."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from unmt.checkpoint import atomic_write_text
from unmt.errors import UserError
from unmt.lexicon.embeddings import WordEmbeddings

log = logging.getLogger("unmt")


class VectorFileError(UserError):
    pass


def write_vectors(path: Path, embeddings: WordEmbeddings) -> None:
    """The whole file or none of it (written beside `path`, then renamed)."""
    lines = [f"{len(embeddings.words)} {embeddings.vectors.shape[1]}\n"]
    for word, vector, count in zip(embeddings.words, embeddings.vectors, embeddings.counts):
        lines.append(f"{word} {' '.join(f'{v:.6f}' for v in vector)} #{int(count)}\n")
    atomic_write_text(Path(path), "".join(lines))


def read_vectors(path: Path, max_words: int | None = None) -> WordEmbeddings:
    """Reads files written by write_vectors or any word2vec/fastText text file (fastText's trailing space
    included), vectors as stored (see `normalize`). Such files list words by decreasing frequency, so
    `max_words` keeps the most frequent ones; a word listed twice keeps its first vector."""
    path = Path(path)
    if not path.is_file():
        raise VectorFileError(f"vector file {path} does not exist")
    try:
        with open(path, encoding="utf-8") as handle:
            header = handle.readline().split()
            if len(header) != 2 or not all(h.isdigit() for h in header) or int(header[1]) < 1:
                raise VectorFileError(f"{path}:1: expected a 'count dimension' header: not a .vec text file")
            n, dim = int(header[0]), int(header[1])
            size = n if max_words is None else min(n, max_words)
            rows = []  # grown row by row, not allocated from the header: a header can lie (see below)
            words, counts, seen = [], [], set()
            listed = 0  # vector lines read, duplicates included: what the header's count counts
            for number, line in enumerate(handle, 2):
                if len(words) == size:
                    break
                parts = line.rstrip().split(" ")
                count = None
                if parts[-1].startswith("#"):
                    count = _count(parts.pop(), path, number)
                if len(parts) != dim + 1 or not parts[0]:
                    raise VectorFileError(
                        f"{path}:{number}: expected a word and {dim} numbers, got {len(parts) - 1} fields"
                    )
                listed += 1
                if parts[0] in seen:
                    continue
                try:
                    rows.append(np.asarray(parts[1:], dtype=np.float32))
                except ValueError:
                    raise VectorFileError(
                        f"{path}:{number}: the vector of {parts[0]!r} holds something that is not a number"
                    ) from None
                seen.add(parts[0])
                words.append(parts[0])
                counts.append(n - len(words) + 1 if count is None else count)  # rank as a proxy for frequency
    except UnicodeDecodeError as error:
        raise VectorFileError(f"{path} is not UTF-8 text ({error.reason} at byte {error.start})") from None
    if not words:
        raise VectorFileError(f"{path} holds no vectors")
    if len(words) < size and listed < size:
        raise VectorFileError(f"{path}:1: the header claims {n} vectors but the file holds {listed}: the header is "
                              "wrong or the file was cut short")
    rows = np.stack(rows)
    if not np.isfinite(rows).all():
        raise VectorFileError(f"{path}: a vector holds inf or nan")
    if max_words is not None and n > max_words:
        log.info("read the %d most frequent of %d vectors in %s", len(words), n, path)
    return WordEmbeddings(words, rows, np.array(counts, dtype=np.float64))  # float32: files can be large


def _count(field: str, path: Path, number: int) -> int:
    if not field[1:].isdigit():
        raise VectorFileError(f"{path}:{number}: the count column {field!r} is not '#' and a whole number")
    return int(field[1:])
