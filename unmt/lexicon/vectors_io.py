"""Word vectors on disk in the word2vec/fastText text format ('V dim' header, then 'word v1 ... vdim'), plus a
count column so that frequency information survives a round trip; readers of the plain format still work."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from unmt.errors import UserError
from unmt.lexicon.embeddings import WordEmbeddings


class VectorFileError(UserError):
    pass


def write_vectors(path: Path, embeddings: WordEmbeddings) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write(f"{len(embeddings.words)} {embeddings.vectors.shape[1]}\n")
        for word, vector, count in zip(embeddings.words, embeddings.vectors, embeddings.counts):
            out.write(f"{word} {' '.join(f'{v:.6f}' for v in vector)} #{int(count)}\n")


def read_vectors(path: Path) -> WordEmbeddings:
    """Reads files written by write_vectors or any word2vec text file, vectors as stored (see `normalize`)."""
    try:
        with open(path, encoding="utf-8") as handle:
            header = handle.readline().split()
            if len(header) != 2 or not all(h.isdigit() for h in header):
                raise VectorFileError(f"{path} does not start with a 'count dimension' header: not a .vec file")
            n, dim = int(header[0]), int(header[1])
            words, rows, counts = [], [], []
            for number, line in enumerate(handle, 2):
                parts = line.rstrip("\n").split(" ")
                count = int(parts.pop()[1:]) if parts[-1].startswith("#") else n - len(words)  # rank as a proxy
                if len(parts) != dim + 1:
                    raise VectorFileError(f"{path}:{number}: expected a word and {dim} numbers, got {len(parts) - 1}")
                words.append(parts[0])
                rows.append([float(v) for v in parts[1:]])
                counts.append(count)
    except UnicodeDecodeError as error:
        raise VectorFileError(f"{path} is not UTF-8 text: {error}") from None
    except ValueError as error:
        if isinstance(error, VectorFileError):
            raise
        raise VectorFileError(f"{path}: a vector entry is not a number ({error})") from None
    if not words:
        raise VectorFileError(f"{path} holds no vectors")
    return WordEmbeddings(words, np.array(rows), np.array(counts, dtype=np.float64))
