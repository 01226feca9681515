"""Corpus scores with signatures (BLEU, chrF, chrF++, TER) and the paired bootstrap between two systems.

The bootstrap is sacreBLEU's (Koehn 2004, as `sacrebleu --paired-bs` runs it): the same resampled line sets for
both systems, seed 12345, 1,000 resamples, each metric recomputed from sacreBLEU's per-line statistics. Reported
per metric: the difference system - baseline, the 95% interval of the resampled differences, and a two-sided p-value
from their signs: 2 x the smaller share of resamples on either side of 0, +1 smoothed, at most 1 (a system against
itself: 1). sacreBLEU's own p-value (the centred |difference| statistic of multeval) is given beside it; it reads
1 / (n + 1) for a system against itself, since it is built for systems that differ, which is why it is not the main
one."""

from __future__ import annotations

import logging

import numpy as np
import sacrebleu
from sacrebleu.metrics.base import Metric

logging.getLogger("sacrebleu").setLevel(logging.ERROR)

SEED = 12345  # sacreBLEU's default (its SACREBLEU_SEED)
RESAMPLES = 1000


def metrics() -> dict[str, Metric]:
    """Fresh metric objects, as sacreBLEU's command line sets them up by default; chrF++ is chrF with word bigrams."""
    return {
        "bleu": sacrebleu.metrics.BLEU(),
        "chrf": sacrebleu.metrics.CHRF(),
        "chrf++": sacrebleu.metrics.CHRF(word_order=2),
        "ter": sacrebleu.metrics.TER(),
    }


def corpus_scores(hypotheses: list[str], references: list[str]) -> dict:
    """{"bleu": 17.6, ..., "bleu_signature": "nrefs:1|...", ...}, TER lower is better."""
    out: dict = {}
    for name, metric in metrics().items():
        out[name] = round(metric.corpus_score(hypotheses, [references]).score, 2)
        out[f"{name}_signature"] = str(metric.get_signature())
    return out


def paired_bootstrap(baseline: list[str], system: list[str], references: list[str], resamples: int = RESAMPLES,
                     seed: int = SEED) -> dict:
    """Per metric: {"baseline", "system", "difference", "ci" [low, high], "p_value", "sacrebleu_p_value"}."""
    if not len(baseline) == len(system) == len(references):
        raise ValueError("paired bootstrap needs as many lines in each system as in the references")
    rng = np.random.default_rng(seed)
    lines = rng.choice(len(references), size=(resamples, len(references)), replace=True)
    results = {}
    for name, metric in metrics().items():
        sampled, actual = [], []
        for hypotheses in (baseline, system):
            stats = metric._extract_corpus_statistics(hypotheses, [references])
            actual.append(metric._aggregate_and_compute(stats).score)
            stats = np.array(stats, dtype="float32")
            sampled.append(np.array([metric._compute_score_from_stats(stats[rows].sum(0)).score for rows in lines]))
        differences = sampled[1] - sampled[0]
        low, high = np.percentile(differences, [2.5, 97.5])
        below, above = int(np.sum(differences <= 0)), int(np.sum(differences >= 0))
        p_value = min(1.0, 2 * (min(below, above) + 1) / (resamples + 1))
        real = abs(actual[1] - actual[0])
        centred = np.abs(differences) - np.abs(differences).mean()
        results[name] = {
            "baseline": round(actual[0], 2),
            "system": round(actual[1], 2),
            "difference": round(actual[1] - actual[0], 2),
            "ci": [round(float(low), 2), round(float(high), 2)],
            "p_value": round(p_value, 4),
            "sacrebleu_p_value": round((int(np.sum(centred > real)) + 1) / (resamples + 1), 4),
        }
    return results


def bootstrap_text(direction: str, results: dict) -> str:
    """The comparison as lines a person reads: one per metric."""
    lines = [f"{direction}: paired bootstrap ({RESAMPLES} resamples, seed {SEED}), system - baseline:"]
    for name, r in results.items():
        lines.append(f"  {name:7s} {r['baseline']:6.2f} -> {r['system']:6.2f}  difference {r['difference']:+.2f}  "
                     f"95% CI [{r['ci'][0]:+.2f}, {r['ci'][1]:+.2f}]  p = {r['p_value']:.4f}")
    return "\n".join(lines)
