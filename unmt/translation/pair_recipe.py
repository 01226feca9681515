"""The pair-dependent settings: how the word-by-word lexicon and the subword embeddings' alignment are made, chosen
before training from what the two monolingual corpora share (unmt.lexicon.pair_signals), never from parallel data.

`pair` for back_translation.lexicon_method or pretraining.init_embeddings asks for this choice. The rule, from the
measurements in docs/experiment-log.md (English-French against English-Czech on Multi30k):

- corpora that share enough word types (SEEDED_MIN_SHARED_WORDS) get self-learning seeded by those identical
  strings (identical_self_learning), for the lexicon and for the embeddings;
- corpora that share almost nothing (another alphabet) have no seed: fully unsupervised self-learning
  (Artetxe et al. 2018), the one method here that needs no shared spelling;
- a run given a bilingual dictionary (back_translation.dictionary) aligns the embeddings from its pairs
  (unmt.lexicon.dictionary_seed); the dictionary is then the word-by-word lexicon as well.
"""
from __future__ import annotations

from dataclasses import replace

from unmt.config import Config

PAIR = "pair"
# Artetxe et al. (ACL 2017) start self-learning from 25 seed pairs (or the numerals alone) on large corpora; below
# that many shared words the seed is taken to be too thin (a bound from the paper, not measured here).
SEEDED_MIN_SHARED_WORDS = 25
SEEDED, UNSEEDED = "identical_self_learning", "self_learning"
DICTIONARY = "dictionary"  # with back_translation.dictionary given, its pairs seed the embeddings' alignment


def pair_method(signals: dict) -> tuple[str, str]:
    """The alignment method for a pair with these signals, and why (one sentence for the log and setup line)."""
    shared = signals["shared_words"]
    if shared >= SEEDED_MIN_SHARED_WORDS:
        return SEEDED, f"{shared} shared words (at least {SEEDED_MIN_SHARED_WORDS}) seed self-learning"
    return (
        UNSEEDED,
        f"{shared} shared words (fewer than {SEEDED_MIN_SHARED_WORDS}): too few to seed, "
        "fully unsupervised self-learning",
    )


def resolve_pair_settings(config: Config, signals: dict | None) -> tuple[Config, dict]:
    """`config` with every `pair` setting replaced by the method chosen for this pair, and the choices made
    ({} when nothing asked). Without signals nothing is chosen: only a rank that needs no choice has none."""
    bt, pretraining = config.back_translation, config.pretraining
    asked = [key for key, value in (("back_translation.lexicon_method", bt.lexicon_method),
                                    ("pretraining.init_embeddings", pretraining.init_embeddings)) if value == PAIR]
    if not asked or signals is None:
        return config, {}
    method, reason = pair_method(signals)
    settings = {key: method for key in asked}
    if bt.lexicon_method == PAIR:
        config = replace(config, back_translation=replace(bt, lexicon_method=method))
    if pretraining.init_embeddings == PAIR:
        embeddings = DICTIONARY if bt.dictionary else method
        settings["pretraining.init_embeddings"] = embeddings
        config = replace(config, pretraining=replace(pretraining, init_embeddings=embeddings))
        if bt.dictionary:
            reason += "; the dictionary seeds the embeddings' alignment"
    return config, {"settings": settings, "reason": reason}
