"""What one evaluation of a training run measures: the round-trip criterion on the monolingual valid sentences,
valid BLEU when it selects checkpoints, and, for the curves only, test BLEU and chrF of the shipped (averaged)
weights and BLEU of the live ones. Nothing scored on the test set ever chooses anything."""
from __future__ import annotations

import time

from unmt.translation.evaluate import evaluate_pair, round_trip_bleu
from unmt.translation.translator import Translator


def run_scores(translator: Translator, live_translator: Translator | None, valid: dict[str, list[str]],
               parallel_valid: dict[str, list[str]] | None, test: dict[str, list[str]] | None,
               languages: tuple[str, str]) -> tuple[dict, float]:
    """The scores, and the seconds the test set took (kept off the training clock by the caller). Valid BLEU is
    scored when the parallel valid set is given (it selects checkpoints)."""
    src, tgt = languages
    scores = {
        f"round_trip_{src}": round_trip_bleu(translator, valid[src], src, tgt),
        f"round_trip_{tgt}": round_trip_bleu(translator, valid[tgt], tgt, src),
    }
    scores["round_trip"] = (scores[f"round_trip_{src}"] + scores[f"round_trip_{tgt}"]) / 2
    if parallel_valid is not None:
        pair = evaluate_pair(translator, parallel_valid[src], parallel_valid[tgt], src, tgt)
        scores["valid_bleu"] = (pair[f"{src}-{tgt}"]["bleu"] + pair[f"{tgt}-{src}"]["bleu"]) / 2
    if test is None:
        return scores, 0.0
    started = time.monotonic()
    for name, scored in (("", translator), ("live_", live_translator)):
        if scored is None:
            continue
        for direction, result in evaluate_pair(scored, test[src], test[tgt], src, tgt).items():
            scores[f"test_bleu_{name}{direction}"] = result["bleu"]
            if not name:
                scores[f"test_chrf_{direction}"] = result["chrf"]
    return scores, time.monotonic() - started
