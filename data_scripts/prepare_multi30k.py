"""Builds the unsupervised Multi30k split of Lample et al. (ICLR 2018) in the layout `unmt train --data` reads.

English monolingual = the first half of train.en, French monolingual = the second half of train.fr (14,500
lines each), so no training sentence has its translation on the other side; valid likewise from val; test =
test_2016_flickr, parallel, for scoring only.

    python data_scripts/prepare_multi30k.py RAW_DIR OUT_DIR [--parallel]

--parallel also writes parallel.en / parallel.fr, all 29,000 training pairs, for a supervised reference run
(`losses.mt`); unsupervised runs never read them, but keep such a folder apart from the unsupervised one.
"""
import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def halves(lines: Sequence) -> tuple[Sequence, Sequence]:
    """The split's one rule: first half and second half (experiments/seen_sentences.py splits by it too)."""
    middle = len(lines) // 2
    return lines[:middle], lines[middle:]


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", type=Path, help="folder with train/val/test_2016_flickr .en/.fr files")
    parser.add_argument("out", type=Path, help="output data directory")
    parser.add_argument("--parallel", action="store_true", help="also write the parallel training pairs (supervised reference only)")
    args = parser.parse_args()
    needed = [args.raw / f"{split}.{lang}" for split in ("train", "val", "test_2016_flickr") for lang in ("en", "fr")]
    missing = [str(p) for p in needed if not p.is_file()]
    if missing:
        print(f"error: missing {', '.join(missing)}; run data_scripts/download_multi30k.sh first", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for split, out_split in (("train", "train"), ("val", "valid")):
        english, _ = halves(read_lines(args.raw / f"{split}.en"))
        _, french = halves(read_lines(args.raw / f"{split}.fr"))
        (args.out / f"{out_split}.en").write_text("\n".join(english) + "\n", encoding="utf-8")
        (args.out / f"{out_split}.fr").write_text("\n".join(french) + "\n", encoding="utf-8")
        print(f"{out_split}: {len(english)} English lines (first half), {len(french)} French lines (second half)")
    for lang in ("en", "fr"):
        text = (args.raw / f"test_2016_flickr.{lang}").read_text(encoding="utf-8")
        (args.out / f"test.{lang}").write_text(text, encoding="utf-8")
    print(f"test: test_2016_flickr, {len(text.splitlines())} pairs (scoring only)")
    if args.parallel:
        pairs = [read_lines(args.raw / f"train.{lang}") for lang in ("en", "fr")]
        if len(pairs[0]) != len(pairs[1]):
            print(f"error: train.en has {len(pairs[0])} lines but train.fr {len(pairs[1])}: not parallel", file=sys.stderr)
            return 2
        for lang, lines in zip(("en", "fr"), pairs):
            (args.out / f"parallel.{lang}").write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"parallel: {len(pairs[0])} training pairs (supervised reference only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
