"""Builds the unsupervised Multi30k split of Lample et al. (ICLR 2018) in the layout `unmt train --data` reads,
for any pair of Multi30k's languages (English-French by default, e.g. --tgt cs for English-Czech).

Source monolingual = the first half of train.SRC, target monolingual = the second half of train.TGT (14,500
lines each), so no training sentence has its translation on the other side; valid likewise from val; test =
test_2016_flickr, parallel, for scoring only.

    python data_scripts/prepare_multi30k.py RAW_DIR OUT_DIR [--src en] [--tgt fr] [--parallel]

--parallel also writes parallel.SRC / parallel.TGT, all 29,000 training pairs, for a supervised reference run
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
    parser.add_argument("raw", type=Path, help="folder with train/val/test_2016_flickr files of both languages")
    parser.add_argument("out", type=Path, help="output data directory")
    parser.add_argument("--src", default="en", help="language whose first half is kept (default en)")
    parser.add_argument("--tgt", default="fr", help="language whose second half is kept (default fr; e.g. cs)")
    parser.add_argument(
        "--parallel", action="store_true", help="also write the parallel training pairs (supervised reference only)"
    )
    args = parser.parse_args()
    src, tgt = args.src, args.tgt
    if src == tgt:
        print(f"error: --src and --tgt are both '{src}': give two different languages", file=sys.stderr)
        return 2
    needed = [args.raw / f"{split}.{lang}" for split in ("train", "val", "test_2016_flickr") for lang in (src, tgt)]
    missing = [str(p) for p in needed if not p.is_file()]
    if missing:
        print(f"error: missing {', '.join(missing)}; run data_scripts/download_multi30k.sh first", file=sys.stderr)
        return 2
    for split in ("train", "val", "test_2016_flickr"):
        counts = {lang: len(read_lines(args.raw / f"{split}.{lang}")) for lang in (src, tgt)}
        if counts[src] != counts[tgt]:
            print(f"error: {split}.{src} has {counts[src]} lines but {split}.{tgt} {counts[tgt]}: not parallel, so the "
                  "halves would not be disjoint", file=sys.stderr)
            return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for split, out_split in (("train", "train"), ("val", "valid")):
        first, _ = halves(read_lines(args.raw / f"{split}.{src}"))
        _, second = halves(read_lines(args.raw / f"{split}.{tgt}"))
        (args.out / f"{out_split}.{src}").write_text("\n".join(first) + "\n", encoding="utf-8")
        (args.out / f"{out_split}.{tgt}").write_text("\n".join(second) + "\n", encoding="utf-8")
        print(f"{out_split}: {len(first)} {src} lines (first half), {len(second)} {tgt} lines (second half)")
    for lang in (src, tgt):
        text = (args.raw / f"test_2016_flickr.{lang}").read_text(encoding="utf-8")
        (args.out / f"test.{lang}").write_text(text, encoding="utf-8")
    print(f"test: test_2016_flickr, {len(text.splitlines())} pairs (scoring only)")
    if args.parallel:
        for lang in (src, tgt):
            lines = read_lines(args.raw / f"train.{lang}")
            (args.out / f"parallel.{lang}").write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"parallel: {len(lines)} training pairs (supervised reference only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
