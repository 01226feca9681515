"""Which of a general dictionary's translations to take (`back_translation.dictionary_order`): the file's first,
or the one the target-side monolingual corpus uses most. Scored by precision@1 against an evaluation dictionary
built from parallel text (data_scripts/build_test_dictionary.py), which only scores and never chooses, over the
source corpus' most frequent words that both dictionaries hold; both directions.

    python benchmarks/dictionary_order.py DATA en fr en-fr.txt en-fr.test.txt
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import RESULTS, timestamped, write_report  # noqa: E402
from unmt.lexicon.dictionary_fit import frequent_words  # noqa: E402
from unmt.lexicon.evaluation import inverted_dictionary, read_dictionary, read_pairs  # noqa: E402
from unmt.lexicon.pretrained import choose_translations, translation_lists  # noqa: E402


def precision(
    lists: dict[str, list[str]], gold: dict[str, set[str]], frequent: list[str], target_lines: list[str]
) -> dict:
    lists = {w.lower(): [t.lower() for t in ts] for w, ts in lists.items()}
    scored = [w for w in frequent if w in lists and w in gold]
    result = {"words_scored": len(scored), "with_several_translations": sum(len(lists[w]) > 1 for w in scored)}
    for order in ("first", "frequency"):
        chosen = choose_translations({w: lists[w] for w in scored}, order, target_lines)
        result[f"precision_{order}"] = round(sum(chosen[w] in gold[w] for w in scored) / max(len(scored), 1), 4)
    result["oracle_any_candidate"] = round(sum(bool(set(lists[w]) & gold[w]) for w in scored) / max(len(scored), 1), 4)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="prepared data folder with train.SRC and train.TGT (monolingual)")
    parser.add_argument("src")
    parser.add_argument("tgt")
    parser.add_argument("dictionary", type=Path, help="the general dictionary, MUSE format (convert_dictionary.py)")
    parser.add_argument("gold", type=Path, help="the evaluation dictionary, lower-cased")
    parser.add_argument("--words", type=int, default=2000, help="source corpus' most frequent words scored")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder of the JSON")
    args = parser.parse_args()
    lines = {
        lang: (args.data / f"train.{lang}").read_text(encoding="utf-8").splitlines() for lang in (args.src, args.tgt)
    }
    pairs = read_pairs(args.dictionary)
    gold = read_dictionary(args.gold)
    results = {
        f"{args.src}-{args.tgt}": precision(
            translation_lists(pairs), gold, frequent_words(lines[args.src], args.words), lines[args.tgt]
        ),
        f"{args.tgt}-{args.src}": precision(
            translation_lists((t, s) for s, t in pairs), inverted_dictionary(gold),
            frequent_words(lines[args.tgt], args.words), lines[args.src]
        ),
    }
    for direction, result in results.items():
        print(direction, result)
    write_report(
        timestamped(f"dictionary_order-{args.src}-{args.tgt}", args.out),
        {"data": str(args.data), "dictionary": args.dictionary.name, "gold": args.gold.name, "results": results},
    )


if __name__ == "__main__":
    main()
