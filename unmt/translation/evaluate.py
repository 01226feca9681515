"""Scoring with sacreBLEU on detokenised text, and the unsupervised round-trip criterion."""
from __future__ import annotations

import logging

import sacrebleu

from unmt.translation.translator import Translator

# sacreBLEU warns when references end in a separated period; the toy corpus is written that way on purpose.
logging.getLogger("sacrebleu").setLevel(logging.ERROR)


def score(hypotheses: list[str], references: list[str]) -> dict:
    """Corpus BLEU and chrF, with the sacreBLEU signatures that make the numbers reproducible."""
    bleu = sacrebleu.metrics.BLEU()
    chrf = sacrebleu.metrics.CHRF()
    bleu_score = bleu.corpus_score(hypotheses, [references])
    chrf_score = chrf.corpus_score(hypotheses, [references])
    return {
        "bleu": round(bleu_score.score, 2),
        "chrf": round(chrf_score.score, 2),
        "bleu_signature": str(bleu.get_signature()),
        "chrf_signature": str(chrf.get_signature()),
    }


def round_trip_bleu(translator: Translator, lines: list[str], src: str, tgt: str, beam_size: int = 1) -> float:
    """BLEU of x against src->tgt->src(x): needs only monolingual text, so it can choose checkpoints without
    touching parallel data (Lample et al. 2018, section 4.4)."""
    there = translator.translate(lines, tgt, beam_size)
    back = translator.translate(there, src, beam_size)
    return sacrebleu.corpus_bleu(back, [lines]).score


def evaluate_pair(
    translator: Translator, src_lines: list[str], tgt_lines: list[str], src: str, tgt: str, beam_size: int = 1
) -> dict:
    """Scores both directions of a parallel set: {"en-fr": {...}, "fr-en": {...}}."""
    return {
        f"{src}-{tgt}": score(translator.translate(src_lines, tgt, beam_size), tgt_lines),
        f"{tgt}-{src}": score(translator.translate(tgt_lines, src, beam_size), src_lines),
    }
