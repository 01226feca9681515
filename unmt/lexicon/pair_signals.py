"""What two monolingual corpora share, measured before training: the unsupervised signals that say how much a
recipe built on shared spellings can lean on them for this pair. English and French share names, numbers and many
cognates; English and Czech little beyond names and numbers. Nothing here looks at parallel data."""
from __future__ import annotations

from collections import Counter

from unmt.data.vocab import Vocabulary
from unmt.lexicon.anchors import shared_anchors
from unmt.lexicon.embeddings import words_of

MIN_COUNT = 3  # a word type counts as shared when each corpus has it this often (the skip-gram's cut-off)


def pair_signals(source_lines: list[str], target_lines: list[str], vocab: Vocabulary | None = None) -> dict:
    """shared_words: word types frequent enough in both corpora; shared_word_share: the share of the smaller
    vocabulary (types seen MIN_COUNT times) they make up; anchors: the shared strings of similar frequency that the
    anchor lexicon starts from; with the vocabulary, shared_subword_share: the share of each corpus's subword tokens
    whose piece the other corpus also uses (the lower of the two), how much the shared embedding table is shared."""
    counts = [Counter(w for line in lines for w in words_of(line)) for lines in (source_lines, target_lines)]
    frequent = [{w for w, n in c.items() if n >= MIN_COUNT} for c in counts]
    shared = frequent[0] & frequent[1]
    signals = {
        "shared_words": len(shared),
        "shared_word_share": round(len(shared) / max(1, min(len(f) for f in frequent)), 4),
        "anchors": len(shared_anchors(*counts)),
    }
    if vocab is not None:
        pieces = [
            Counter(t for row in vocab.encode_batch(lines) for t in row) for lines in (source_lines, target_lines)
        ]
        both = pieces[0].keys() & pieces[1].keys()
        shares = [sum(c[p] for p in both) / max(1, sum(c.values())) for c in pieces]
        signals["shared_subword_share"] = round(min(shares), 4)
    return signals
