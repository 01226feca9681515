"""Monolingual corpora: text files read through Hugging Face `datasets`, tokenised once, batched by tokens.

The `text` loader caches each file as memory-mapped Arrow, so a corpus larger than memory trains as well as a
small one: only the lengths column is held in memory, and rows are read per batch.
"""
from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.compute as pc

from unmt.data.vocab import Vocabulary
from unmt.errors import DataError


@dataclass
class DataFiles:
    """The data-directory layout: train.<lang> (required), valid.<lang>, test.<lang> (optional)."""

    directory: Path
    languages: tuple[str, str]

    def path(self, split: str, lang: str) -> Path:
        return self.directory / f"{split}.{lang}"

    def has(self, split: str) -> bool:
        return all(self.path(split, lang).is_file() for lang in self.languages)

    def check(self) -> None:
        if not self.directory.is_dir():
            raise DataError(f"data directory {self.directory} does not exist")
        for lang in self.languages:
            path = self.path("train", lang)
            if not path.is_file():
                raise DataError(f"missing training corpus {path}: the data directory needs train.<lang> per language")
            if not any(line.strip() for line in _head(path, 1000)):
                raise DataError(f"training corpus {path} is empty")


def _head(path: Path, n: int) -> list[str]:
    with open(path, encoding="utf-8", errors="replace") as handle:
        return [line for _, line in zip(range(n), handle)]


def read_lines(path: Path, limit: int | None = None) -> list[str]:
    """The first `limit` lines (all without one); only those are read, so memory does not grow with the file."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        return [line.rstrip("\r\n") for line in itertools.islice(handle, limit or None)]


def load_text_dataset(path: Path):
    """One text file as a `datasets.Dataset` with a `text` column (cached as Arrow)."""
    import datasets

    datasets.disable_progress_bars()
    datasets.utils.logging.set_verbosity_error()
    logging.getLogger("datasets").setLevel(logging.ERROR)
    return datasets.load_dataset("text", data_files={"train": str(path)}, split="train")


class MonolingualCorpus:
    """Tokenised sentences of one language, drawn in length-bucketed batches of about `max_tokens` tokens."""

    def __init__(self, dataset, vocab: Vocabulary, max_len: int, drop_empty: bool = True):
        def tokenize(rows):
            ids = vocab.encode_batch([t.strip() for t in rows["text"]])
            return {"ids": ids, "length": [len(i) for i in ids]}

        tokenized = dataset.map(tokenize, batched=True, batch_size=2000, remove_columns=["text"])
        lengths = np.asarray(tokenized["length"], dtype=np.int64)
        # skip empty and over-long lines (one side of a parallel corpus keeps every line: its pairs are filtered)
        self.keep = np.nonzero(((lengths > 0) | (not drop_empty)) & (lengths <= max_len))[0]
        if len(self.keep) == 0:
            raise DataError(f"no training sentence has between 1 and {max_len} subwords")
        self.dataset = tokenized
        self.lengths = lengths[self.keep]
        self.longest = int(lengths.max())  # before the length limit: what a limit above it would remove (nothing)

    def __len__(self) -> int:
        return len(self.keep)

    def rows(self, kept: np.ndarray) -> list[list[int]]:
        """The subword ids of the given kept sentences (positions in `keep`)."""
        return self.dataset[self.keep[kept].tolist()]["ids"]

    def token_mask(self, vocab_size: int) -> np.ndarray:
        """(V,) bool: which subwords occur in this corpus, i.e. what a decoder writing this language may emit."""
        seen = np.zeros(vocab_size, dtype=bool)
        # Arrow batches flattened in C: a Python loop per sentence was most of a 5M-line setup (docs/speed.md)
        for table in self.dataset.with_format("arrow").iter(batch_size=100_000):
            seen[pc.list_flatten(table.column("ids")).to_numpy()] = True
        return seen


class BatchStream:
    """Endless, resumable stream of batches from one corpus.

    Each epoch shuffles, sorts within pools of about 100 batches by length (so padding stays small), cuts
    batches whose padded size fits `max_tokens`, and shuffles the batch order. The plan of an epoch depends only
    on (seed, epoch), so the position (epoch, index) is all a checkpoint needs to continue exactly.

    With `share=(rank, world)` the ranks of a distributed run walk the same plan in step, each taking every
    world-th batch from its own offset: disjoint shares, and one position for all of them. (A plan for several
    ranks shuffles its batches in tuples of alike length, and leaves out the few that do not fill a tuple.)
    """

    def __init__(self, corpus, max_tokens: int, seed: int, share: tuple[int, int] = (0, 1)):
        """`corpus` has `lengths` (one per kept sentence) and `rows(kept positions)`: a MonolingualCorpus, or a
        ParallelCorpus whose batches are (source rows, target rows)."""
        self.corpus, self.max_tokens, self.seed = corpus, max_tokens, seed
        self.rank, self.world = share
        self.epoch, self.index = 0, 0
        self._plan: list[np.ndarray] | None = None

    def _make_plan(self) -> list[np.ndarray]:
        rng = np.random.default_rng([self.seed, self.epoch])
        lengths = self.corpus.lengths
        order = rng.permutation(len(lengths))
        pool = max(1, 100 * self.max_tokens // max(1, int(lengths.mean())))
        batches = []
        for start in range(0, len(order), pool):
            chunk = order[start : start + pool]
            chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
            batches += _cut_by_tokens(chunk, lengths, self.max_tokens)
        # Neighbouring batches come from one pool and have alike lengths: the ranks of a step take such neighbours
        # (tuples of `world` shuffled as units), so none waits long for a rank with longer sentences.
        tuples = len(batches) // self.world
        return [batches[t * self.world + r] for t in rng.permutation(tuples) for r in range(self.world)]

    def __iter__(self) -> "BatchStream":
        return self

    def __next__(self):
        if self._plan is None:
            self._plan = self._make_plan()
        if self.index + self.world > len(self._plan):  # too few batches left for every rank: a new epoch
            self.epoch, self.index = self.epoch + 1, 0
            self._plan = self._make_plan()
            if len(self._plan) < self.world:
                raise DataError(f"the corpus makes {len(self._plan)} batches, fewer than the {self.world} processes")
        kept = self._plan[self.index + self.rank]
        self.index += self.world
        return self.corpus.rows(kept)

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "index": self.index}

    def load_state_dict(self, state: dict) -> None:
        self.epoch, self.index, self._plan = state["epoch"], state["index"], None


def _cut_by_tokens(sorted_rows: np.ndarray, lengths: np.ndarray, max_tokens: int) -> list[np.ndarray]:
    batches, start, longest = [], 0, 0
    for i, row in enumerate(sorted_rows):
        longest_if_added = max(longest, lengths[row] + 1)  # +1 for EOS
        if i > start and longest_if_added * (i - start + 1) > max_tokens:
            batches.append(sorted_rows[start:i])
            start, longest_if_added = i, lengths[row] + 1
        longest = longest_if_added
    batches.append(sorted_rows[start:])
    return batches
