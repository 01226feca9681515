"""What a French reader sees of the toy demo: the README's example and held-out toy sentences whose noun phrases
stack two adjectives (`the small red car` / `la petite voiture rouge`), translated both ways by trained runs'
best checkpoints (what `unmt translate` uses) and counted right only when the whole sentence is the grammar's.

    python benchmarks/toy_examples.py CHECKPOINTS/run-a CHECKPOINTS/run-b --sentences 20

The held-out sentences come from a grammar stream no run trains or is tested on, and any that a run's own
corpus holds on either side is skipped. The JSON also keeps each run's last evaluation (test BLEU, step).
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import RESULTS, timestamped, write_report  # noqa: E402
from unmt.data.toy import ADJECTIVES, ToyGrammar  # noqa: E402
from unmt.translation.model_io import load_translator  # noqa: E402

README_EXAMPLE = ("Emma paints the small green kitchen .", "Emma peint la petite cuisine verte .")
HELD_OUT_STREAM = "toy held-out"  # toy corpora seed their streams with integers: a string seed is none of them


def stacks_two_adjectives(english: str) -> bool:
    adjectives = {a[0] for a in ADJECTIVES}
    words = english.split()
    return any(a in adjectives and b in adjectives for a, b in zip(words, words[1:]))


def held_out_stacked(n: int, seen: set[str]) -> list[tuple[str, str]]:
    grammar, pairs = ToyGrammar(random.Random(HELD_OUT_STREAM)), []
    while len(pairs) < n:
        en, fr = grammar.sentence()
        if stacks_two_adjectives(en) and en not in seen and fr not in seen and (en, fr) not in pairs:
            pairs.append((en, fr))
    return pairs


def corpus_lines(run: Path) -> set[str]:
    return {line for path in (run / "data").glob("*.*") for line in path.read_text(encoding="utf-8").splitlines()}


def score(translator, pairs: list[tuple[str, str]]) -> dict:
    into_fr = translator.translate([en for en, _ in pairs], "fr")
    into_en = translator.translate([fr for _, fr in pairs], "en")
    rows = [{"en": en, "fr": fr, "en->fr": out_fr, "fr->en": out_en}
            for (en, fr), out_fr, out_en in zip(pairs, into_fr, into_en)]
    same = lambda a, b: " ".join(a.split()) == " ".join(b.split())  # noqa: E731
    return {"right_en-fr": sum(same(r["en->fr"], r["fr"]) for r in rows),
            "right_fr-en": sum(same(r["fr->en"], r["en"]) for r in rows), "sentences": len(rows), "rows": rows}


def evaluate_run(run: Path, n: int) -> dict:
    translator, _ = load_translator(run, "best")
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    evaluations = [r for r in records if r.get("kind") == "eval"]
    return {"run": str(run), "last_evaluation": evaluations[-1] if evaluations else None,
            "readme_example": score(translator, [README_EXAMPLE]),
            "held_out_stacked": score(translator, held_out_stacked(n, corpus_lines(run)))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path,
                        help="run folders of `unmt train --src en --tgt fr` on the toy corpus")
    parser.add_argument("--sentences", type=int, default=20)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    results = [evaluate_run(run, args.sentences) for run in args.runs]
    path = write_report(timestamped("toy_examples", args.out), {"results": results})
    for result in results:
        held, last = result["held_out_stacked"], result["last_evaluation"] or {}
        readme = result["readme_example"]["rows"][0]
        print(f"{result['run']}: step {last.get('step')} test BLEU {last.get('test_bleu_en-fr')} / "
              f"{last.get('test_bleu_fr-en')}; README example -> {readme['en->fr']!r}; stacked held-out right "
              f"{held['right_en-fr']}/{held['sentences']} en->fr, {held['right_fr-en']}/{held['sentences']} fr->en")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
