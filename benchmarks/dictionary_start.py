"""What a run starts from, before its first step, with and without a bilingual dictionary: for each run folder (made
with `--set runtime.max_steps=1` or taken from a finished run), the word-by-word lexicon's precision@1 against an
evaluation dictionary built from parallel text (scoring only), the lexicon's coverage of the test set's words, the
word-by-word translation's test BLEU and chrF in both directions, and the embedding alignment's criterion.

    python benchmarks/dictionary_start.py DATA GOLD RUN [RUN ...]

DATA holds test.SRC and test.TGT (prepare_multi30k.py); GOLD is data_scripts/build_test_dictionary.py's SRC-TGT file.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import sacrebleu
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from report import RESULTS, timestamped, write_report  # noqa: E402
from run_diagnosis import lexicon_precision  # noqa: E402
from unmt.lexicon.embeddings import words_of  # noqa: E402
from unmt.lexicon.evaluation import inverted_dictionary, read_dictionary  # noqa: E402
from unmt.lexicon.induce import translate_word_by_word  # noqa: E402


def start_of(run: Path, data: Path, gold: dict[str, set[str]]) -> dict:
    info = json.loads((run / "run.json").read_text(encoding="utf-8"))
    src, tgt = info["src"], info["tgt"]
    setup = json.loads((run / "metrics.jsonl").read_text(encoding="utf-8").splitlines()[0])
    lexicon = json.loads((run / "lexicon.json").read_text(encoding="utf-8"))  # keyed by the language translated into
    test = {lang: (data / f"test.{lang}").read_text(encoding="utf-8").splitlines() for lang in (src, tgt)}
    golds = {f"{src}-{tgt}": gold, f"{tgt}-{src}": inverted_dictionary(gold)}
    bt = yaml.safe_load((run / "config.yaml").read_text(encoding="utf-8"))["back_translation"]
    result = {"run": run.name, "dictionary": Path(bt["dictionary"]).name if bt.get("dictionary") else None,
              "dictionary_fill": bt.get("dictionary_fill"),
              "embedding_alignment_criterion": setup.get("pair", {}).get("embedding_alignment_criterion")}
    for source, target in ((src, tgt), (tgt, src)):
        direction = f"{source}-{target}"
        words = lexicon[target]
        hypotheses = [translate_word_by_word(line, words) for line in test[source]]
        tokens = [w for line in test[source] for w in words_of(line) if any(c.isalpha() for c in w)]
        covered = sum(w in words or w.lower() in words for w in tokens)
        result[direction] = {
            **lexicon_precision(words, golds[direction]),
            "test_token_coverage": round(covered / max(len(tokens), 1), 4),
            "word_by_word_bleu": round(sacrebleu.corpus_bleu(hypotheses, [test[target]]).score, 2),
            "word_by_word_chrf": round(sacrebleu.corpus_chrf(hypotheses, [test[target]]).score, 2),
        }
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("gold", type=Path, help="evaluation dictionary SRC -> TGT, lower-cased 'source target' lines")
    parser.add_argument("runs", type=Path, nargs="+")
    parser.add_argument("--name", default="dictionary_start")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    gold = read_dictionary(args.gold)
    rows = [start_of(run, args.data, gold) for run in args.runs]
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))
    write_report(timestamped(args.name, args.out), {"data": str(args.data), "gold": args.gold.name, "runs": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
