"""Does the model translate its own training sentences better than unseen ones?

Lample et al.'s split trains on the first half of one side of a parallel corpus and the second half of the other,
so every training sentence has a translation the model never saw. Scoring those pairs tells memorisation from
generalisation: if a sentence the model saw as source text (or whose reference it saw as target-language text)
comes out better than a test sentence, the model is recalling its corpus and regularisation or more data is the
lever; if not, it fits its data no better than it generalises, and capacity or the method is. The parallel pairs
are used for this analysis only: nothing here trains or selects anything.

    python experiments/seen_sentences.py --run RUNS/multi30k-... --data RAW_MULTI30K \
        --out experiments/results/seen_sentences.json
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "benchmarks"), str(HERE.parent / "data_scripts")]  # helpers, the split
from prepare_multi30k import halves  # noqa: E402

from scored_run import load_scored_run, run_parser, write_result  # noqa: E402


def spread_sample(count: int, wanted: int) -> list[int]:
    """`wanted` indices spread evenly over range(count), so a sample sees the whole half, not its first lines."""
    wanted = min(wanted, count)
    return [i * count // wanted for i in range(wanted)]


def seen_pairs(src_lines: list[str], tgt_lines: list[str], sentences: int) -> dict[str, tuple[list[str], list[str]]]:
    """The parallel training pairs split by data_scripts/prepare_multi30k.py's own rule: the first half's source
    side and the second half's target side are what the model trained on. Returns (sources, targets) for each half."""
    if len(src_lines) != len(tgt_lines):
        raise ValueError(f"the parallel training files differ in length ({len(src_lines)} and {len(tgt_lines)} lines)")
    source_half, target_half = halves(range(len(src_lines)))
    pairs = {}
    for name, span in (("source_half", source_half), ("target_half", target_half)):
        picked = [span[i] for i in spread_sample(len(span), sentences)]
        pairs[name] = ([src_lines[i] for i in picked], [tgt_lines[i] for i in picked])
    return pairs


def condition(pair_set: str, forward: bool) -> str:
    """What the model trained on, seen from one direction: the first half's sources are source text going forward
    and reference text going back, the second half's the other way round."""
    if pair_set == "test":
        return "test"
    return "source seen" if (pair_set == "source_half") == forward else "reference seen"


def main() -> int:
    parser = run_parser(
        __doc__.splitlines()[0], "raw folder: the parallel train.<lang> the split was made from, and TEST.<lang>"
    )
    parser.add_argument("--test", default="test_2016_flickr", help="name of the parallel test files in --data")
    parser.add_argument("--sentences", type=int, default=500, help="pairs scored per condition")
    args = parser.parse_args()
    if args.sentences < 1:
        parser.error("--sentences must be at least 1")
    files = [f"{split}.{lang}" for split in ("train", args.test) for lang in (args.src, args.tgt)]
    translator, texts, checkpoint = load_scored_run(parser, args.run, args.data, files)
    try:
        halves = seen_pairs(texts[f"train.{args.src}"], texts[f"train.{args.tgt}"], args.sentences)
    except ValueError as error:
        parser.error(str(error))
    test_src, test_tgt = texts[f"{args.test}.{args.src}"], texts[f"{args.test}.{args.tgt}"]
    picked = spread_sample(min(len(test_src), len(test_tgt)), args.sentences)
    sets = {"test": ([test_src[i] for i in picked], [test_tgt[i] for i in picked]), **halves}

    from unmt.translation.evaluate import score

    directions = {}
    for forward in (True, False):
        src, tgt = (args.src, args.tgt) if forward else (args.tgt, args.src)
        found = {}
        for name, (src_side, tgt_side) in sets.items():
            sources, references = (src_side, tgt_side) if forward else (tgt_side, src_side)
            scores = score(translator.translate(sources, tgt), references)
            found[condition(name, forward)] = {
                "sentences": len(sources), "bleu": scores["bleu"], "chrf": scores["chrf"]
            }
        directions[f"{src}-{tgt}"] = found
    write_result(args.out, args.run, checkpoint, directions=directions)
    for direction, found in directions.items():
        print(
            direction,
            ", ".join(f"{name}: BLEU {row['bleu']:.2f} chrF {row['chrf']:.1f}" for name, row in found.items()),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
