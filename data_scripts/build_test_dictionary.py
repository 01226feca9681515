"""Builds a bilingual TEST dictionary from parallel text with IBM Model 1 in both directions (unmt/lexicon/ibm1.py).

For evaluating lexicons induced without parallel data (`unmt align --gold`) only: never train on it. Any pair of
line-by-line parallel files works, whatever the languages:

    python data_scripts/build_test_dictionary.py ../shared/data/multi30k/train.en ../shared/data/multi30k/train.fr \
        OUT/en-fr.test.txt --lowercase
    python data_scripts/build_test_dictionary.py ../shared/data/multi30k/train.en ../shared/data/multi30k/train.cs \
        OUT/en-cs.test.txt --lowercase
"""
import argparse
import sys
from pathlib import Path

from unmt.lexicon.embeddings import words_of
from unmt.lexicon.evaluation import write_dictionary
from unmt.lexicon.ibm1 import test_dictionary


def tokenized(path: Path, lowercase: bool) -> list[list[str]]:
    return [words_of(line.lower() if lowercase else line) for line in path.read_text(encoding="utf-8").splitlines()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="source side of a parallel corpus")
    parser.add_argument("target", type=Path, help="target side, line by line parallel to the source")
    parser.add_argument("output", type=Path, help="dictionary file to write ('source target' per line)")
    parser.add_argument("--lowercase", action="store_true", help="lower-case both sides (match unmt embed --lowercase)")
    parser.add_argument("--min-count", type=int, default=5, help="ignore words rarer than this on either side")
    parser.add_argument("--iterations", type=int, default=5, help="EM iterations of IBM Model 1")
    args = parser.parse_args()
    for path in (args.source, args.target):
        if not path.is_file():
            print(f"error: {path} does not exist", file=sys.stderr)
            return 2
    source, target = (tokenized(path, args.lowercase) for path in (args.source, args.target))
    if len(source) != len(target):
        print(
            f"error: {args.source} has {len(source)} lines, {args.target} {len(target)}: not parallel", file=sys.stderr
        )
        return 2
    gold = test_dictionary(source, target, min_count=args.min_count, iterations=args.iterations)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_dictionary(args.output, gold)
    print(f"wrote {sum(map(len, gold.values()))} pairs for {len(gold)} source words to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
