"""Parallel pairs for supervised translation (`train.lambda_mt`): a supervised reference with the same model and
budget, or semi-supervised training beside the unsupervised losses. Unsupervised runs never read them.

The data directory holds them as parallel.<src> and parallel.<tgt>, line i of one translating line i of the other.
"""
from __future__ import annotations

import numpy as np

from unmt.data.corpus import DataError, MonolingualCorpus
from unmt.data.vocab import Vocabulary

SPLIT = "parallel"  # file prefix in the data directory, and the batch key of the pairs


class ParallelCorpus:
    """Tokenised sentence pairs, batched like a monolingual corpus (BatchStream) by the longer side of each pair."""

    def __init__(self, source_dataset, target_dataset, vocab: Vocabulary, max_len: int):
        if len(source_dataset) != len(target_dataset):
            raise DataError(
                f"the parallel files have {len(source_dataset)} and {len(target_dataset)} lines: line i of one must "
                "translate line i of the other"
            )
        # Both sides keep every line (max_len=no limit here) so that their positions stay aligned; pairs are
        # filtered together below.
        self.sides = [
            MonolingualCorpus(d, vocab, max_len=10**9, drop_empty=False) for d in (source_dataset, target_dataset)
        ]
        source_lengths, target_lengths = (side.lengths for side in self.sides)
        self.keep = np.nonzero(
            (source_lengths > 0) & (target_lengths > 0) & (source_lengths <= max_len) & (target_lengths <= max_len)
        )[0]
        if len(self.keep) == 0:
            raise DataError(f"no parallel pair has between 1 and {max_len} subwords on both sides")
        self.lengths = np.maximum(source_lengths, target_lengths)[self.keep]

    def __len__(self) -> int:
        return len(self.keep)

    def rows(self, kept: np.ndarray) -> tuple[list[list[int]], list[list[int]]]:
        """(source rows, target rows) of the given kept pairs."""
        lines = self.keep[kept]
        source, target = self.sides
        return source.rows(lines), target.rows(lines)
