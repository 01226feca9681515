"""Word-by-word translation with a bilingual lexicon, behind the same interface as the neural Translator so that
`unmt translate --word-by-word` reuses the streaming, line-preserving I/O."""
from __future__ import annotations

import json
from pathlib import Path

from unmt.errors import UserError
from unmt.lexicon.induce import translate_word_by_word


class LexiconError(UserError):
    pass


def load_lexicon(path: Path) -> dict[str, dict[str, str]]:
    """A lexicon.json as written by `unmt train` or `unmt align`: {language translated into: {word: word}}."""
    try:
        lexicon = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LexiconError(f"lexicon file {path} does not exist") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise LexiconError(f"lexicon file {path} is not valid JSON: {error}") from None
    if not isinstance(lexicon, dict) or not all(isinstance(v, dict) for v in lexicon.values()):
        raise LexiconError(f"lexicon file {path} must map each language to a {{word: translation}} object")
    return lexicon


class WordByWordTranslator:
    def __init__(self, lexicon: dict[str, dict[str, str]]):
        self.lexicon = lexicon

    def translate(self, lines: list[str], tgt_lang: str, beam_size: int = 1, batch_size: int = 64) -> list[str]:
        if tgt_lang not in self.lexicon:
            raise LexiconError(f"the lexicon translates into {', '.join(self.lexicon)}, not '{tgt_lang}'")
        words = self.lexicon[tgt_lang]
        return [translate_word_by_word(line, words) if line.strip() else "" for line in lines]
