"""The joint SentencePiece vocabulary shared by both languages, with language tags as special tokens.

One vocabulary for both languages is what lets identical strings (names, numbers, cognates) share an
embedding: the cheapest cross-lingual anchor there is.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Iterable, Sequence

import sentencepiece as spm

from unmt.errors import DataError

PAD, UNK, EOS = 0, 1, 2
BLANK_PIECE = "<blank>"
WORD_START = "\u2581"  # SentencePiece's word-boundary marker


def language_tag(lang: str) -> str:
    return f"<2{lang}>"


class Vocabulary:
    """Wraps a SentencePiece model: text <-> ids, language tags, and which pieces start a word."""

    def __init__(self, model_proto: bytes, languages: Sequence[str]):
        self.model_proto = model_proto
        self.languages = tuple(languages)
        try:
            self.sp = spm.SentencePieceProcessor(model_proto=model_proto)
        except RuntimeError:  # sentencepiece's C++ parser rejects a damaged or foreign file this way
            raise DataError("the subword model is damaged or not a SentencePiece model; it cannot be read") from None
        self.blank = self.sp.piece_to_id(BLANK_PIECE)
        self.lang_ids = {lang: self.sp.piece_to_id(language_tag(lang)) for lang in self.languages}
        missing = [lang for lang, i in self.lang_ids.items() if i == UNK]
        if missing:
            raise DataError(f"the vocabulary has no tag for language(s) {missing}; it was built for another pair")
        self.starts_word = [self._starts_word(i) for i in range(len(self))]

    def _starts_word(self, index: int) -> bool:
        piece = self.sp.id_to_piece(index)
        return piece.startswith(WORD_START) or self.sp.is_control(index) or piece == BLANK_PIECE

    def __len__(self) -> int:
        return self.sp.get_piece_size()

    def encode(self, text: str) -> list[int]:
        return self.sp.encode(text)

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return self.sp.encode(texts)

    def decode(self, ids: Iterable[int]) -> str:
        special = {PAD, EOS, self.blank, *self.lang_ids.values()}
        return self.sp.decode([i for i in ids if i not in special])

    def save(self, path: Path) -> None:
        path.write_bytes(self.model_proto)

    @classmethod
    def load(cls, path: Path, languages: Sequence[str]) -> "Vocabulary":
        if not Path(path).is_file():
            raise DataError(f"subword model {path} is missing")
        try:
            return cls(Path(path).read_bytes(), languages)
        except DataError as error:
            raise DataError(f"{path}: {error}") from None

    @classmethod
    def train(
        cls,
        corpora: dict[str, Iterable[str]],
        size: int,
        model_type: str = "bpe",
        max_sentences_per_language: int = 200_000,
    ) -> "Vocabulary":
        """Learns one model on both corpora, with at most `max_sentences_per_language` lines from each so that
        the larger corpus cannot crowd the smaller one out of the vocabulary."""
        def sentences():
            for lines in corpora.values():
                for count, line in enumerate(lines):
                    if count >= max_sentences_per_language:
                        break
                    if line.strip():
                        yield line

        model = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=sentences(),
            model_writer=model,
            vocab_size=size,
            model_type=model_type,
            character_coverage=1.0,
            hard_vocab_limit=False,  # a small corpus may not support `size` pieces; take what it has
            pad_id=PAD,
            unk_id=UNK,
            bos_id=-1,
            eos_id=EOS,
            user_defined_symbols=[BLANK_PIECE] + [language_tag(lang) for lang in corpora],
            num_threads=2,
            minloglevel=2,
        )
        return cls(model.getvalue(), list(corpora))
