"""Whether a bilingual dictionary file belongs to the run's language pair, judged by the two monolingual corpora.

A dictionary's source words should cover many of the source corpus' frequent words and its target words many of
the target corpus'. A file with its columns the other way round covers them crosswise, and a file of another
pair covers neither: both are refused before training spends its first steps on them. A dictionary whose target
words alone miss the target corpus (another target language, or a small or invented one) is only warned about,
since its source side shows it is meant for this run."""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

from unmt.errors import DataError
from unmt.lexicon.embeddings import words_of

log = logging.getLogger("unmt")

FREQUENT_WORDS = 1000  # the corpus' most frequent words that a dictionary is checked against
MIN_COVERAGE = 0.05  # below this share of them a column does not belong to the corpus' language
# A column of the right language covers its corpus at least this fraction as well as the other column covers its
# own: general dictionaries cover both sides alike, and a large one of another language still matches loan words.
MIN_BALANCE = 0.25


@dataclass
class DictionaryFit:
    source: float  # share of the source corpus' frequent words among the dictionary's source words
    target: float  # share of the target corpus' frequent words among its target words
    source_crosswise: float  # share of the source corpus' frequent words among its target words
    target_crosswise: float  # share of the target corpus' frequent words among its source words


def frequent_words(lines: list[str], n: int = FREQUENT_WORDS) -> list[str]:
    """The corpus' `n` most frequent words with a letter in them, lower-cased (captions start with capitals)."""
    counts = Counter(w.lower() for line in lines for w in words_of(line) if any(c.isalpha() for c in w))
    return [word for word, _ in counts.most_common(n)]


def coverage(frequent: list[str], words) -> float:
    lowered = {w.lower() for w in words}
    return sum(w in lowered for w in frequent) / max(len(frequent), 1)


def dictionary_fit(source_words, target_words, source_lines: list[str], target_lines: list[str]) -> DictionaryFit:
    src, tgt = frequent_words(source_lines), frequent_words(target_lines)
    return DictionaryFit(coverage(src, source_words), coverage(tgt, target_words),
                         coverage(src, target_words), coverage(tgt, source_words))


def check_dictionary_fit(fit: DictionaryFit, name: str, src: str, tgt: str) -> None:
    """Refuses a dictionary of the swapped or of another pair (DataError), warns about one whose target side alone
    misses; each in one sentence with the shares measured."""
    straight, crosswise = fit.source + fit.target, fit.source_crosswise + fit.target_crosswise
    shares = (f"its first column holds {fit.source:.0%} of the {src} corpus' {FREQUENT_WORDS} most frequent words and "
              f"{fit.target_crosswise:.0%} of the {tgt} corpus', its second {fit.target:.0%} of the {tgt} corpus' and "
              f"{fit.source_crosswise:.0%} of the {src} corpus'")
    if crosswise > 2 * straight and crosswise >= 2 * MIN_COVERAGE:
        raise DataError(f"dictionary {name} reads like a {tgt}-{src} dictionary ({shares}): swap its two columns "
                        f"for a {src}-{tgt} run")
    if max(fit.source, fit.target) < MIN_COVERAGE:
        raise DataError(f"dictionary {name} matches neither corpus ({shares}): is it a {src}-{tgt} dictionary?")
    if min(fit.source, fit.target) < max(MIN_COVERAGE, MIN_BALANCE * max(fit.source, fit.target)):
        column, lang = ("second", tgt) if fit.target < fit.source else ("first", src)
        log.warning("dictionary %s: %s; is its %s column %s words?", name, shares, column, lang)
