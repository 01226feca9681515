"""Which words does the model get wrong? Colours, people and numbers, word for word, on the test set.

For a few closed classes of words whose members occur in the same contexts (a red / blue / green shirt; a man / woman /
boy in a shirt), each test sentence whose source holds exactly one member of a class, and whose reference holds that
member's translation, is one probe. The model's translation either holds the right member ("right"), another member
of the class instead ("confused"), or no member ("missing"). A model that learned from monolingual text alone can only
tell such words apart by their distributions; these probes measure how well it did, beside the share of output words
merely copied from the source and of outputs stuck in a loop. The small bilingual word lists below serve this
analysis only: nothing here trains or selects anything.

    python experiments/lexical_confusions.py --run RUNS/multi30k-... --data DATA \
        --out experiments/results/lexical_confusions.json
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "benchmarks")]  # its neighbours, then benchmarks/ helpers
from scored_run import load_scored_run, run_parser, write_result  # noqa: E402

# class -> [(English forms, French forms)]: each entry one member, with its inflections
CLASSES: dict[str, list[tuple[set[str], set[str]]]] = {
    "colours": [
        ({"red"}, {"rouge", "rouges"}),
        ({"blue"}, {"bleu", "bleue", "bleus", "bleues"}),
        ({"green"}, {"vert", "verte", "verts", "vertes"}),
        ({"black"}, {"noir", "noire", "noirs", "noires"}),
        ({"white"}, {"blanc", "blanche", "blancs", "blanches"}),
        ({"yellow"}, {"jaune", "jaunes"}),
        ({"orange"}, {"orange", "oranges"}),
        ({"pink"}, {"rose", "roses"}),
        ({"brown"}, {"marron", "brun", "brune", "bruns", "brunes"}),
        ({"purple"}, {"violet", "violette", "violets", "violettes"}),
        ({"gray", "grey"}, {"gris", "grise", "grises"}),
    ],
    "people": [
        ({"man", "men"}, {"homme", "hommes"}),
        ({"woman", "women"}, {"femme", "femmes"}),
        ({"boy", "boys"}, {"garçon", "garçons"}),
        ({"girl", "girls"}, {"fille", "filles"}),
        ({"child", "children", "kid", "kids"}, {"enfant", "enfants"}),
    ],
    "numbers": [
        ({"two"}, {"deux"}),
        ({"three"}, {"trois"}),
        ({"four"}, {"quatre"}),
        ({"five"}, {"cinq"}),
    ],
}
LANGUAGES = ("en", "fr")


def tokens(sentence: str) -> list[str]:
    """Lower-cased words in order; French elisions (l', d', qu') come apart from the word they precede."""
    return re.findall(r"\w+", sentence.lower())


def words(sentence: str) -> set[str]:
    return set(tokens(sentence))


def probe(source: str, reference: str, hypothesis: str, members: list[tuple[set[str], set[str]]]) -> str | None:
    """'right', 'confused' or 'missing' for one sentence and one class, with members as (source forms, target
    forms); None when the sentence is no probe (not exactly one member in the source, or a reference that does not
    translate it with that member)."""
    source_words = words(source)
    present = [i for i, (forms, _) in enumerate(members) if forms & source_words]
    if len(present) != 1:
        return None
    wanted = members[present[0]][1]
    if not wanted & words(reference):
        return None
    output = words(hypothesis)
    if wanted & output:
        return "right"
    others = set().union(*(targets for i, (_, targets) in enumerate(members) if i != present[0]))
    return "confused" if others & output else "missing"


def class_outcomes(sources, references, hypotheses, members) -> dict:
    counts = {"right": 0, "confused": 0, "missing": 0}
    for source, reference, hypothesis in zip(sources, references, hypotheses):
        outcome = probe(source, reference, hypothesis, members)
        if outcome:
            counts[outcome] += 1
    probes = sum(counts.values())
    return {"probes": probes, **{k: round(v / probes, 3) if probes else None for k, v in counts.items()}}


def copied_share(sources, hypotheses, target_vocabulary: set[str]) -> float:
    """Share of output words (4 letters or more) that stand in the source but never in the target-language corpus:
    source words passed through untranslated."""
    copied = total = 0
    for source, hypothesis in zip(sources, hypotheses):
        source_words = words(source)
        for word in tokens(hypothesis):
            if len(word) >= 4:
                total += 1
                copied += word in source_words and word not in target_vocabulary
    return round(copied / total, 4) if total else 0.0


def looping_share(hypotheses, repeats: int = 4) -> float:
    """Share of outputs with one word `repeats` times in a row (a decoder stuck in a loop)."""
    pattern = re.compile(r"\b(\w+)(?:\W+\1\b){%d}" % (repeats - 1), re.IGNORECASE)
    return round(sum(bool(pattern.search(h)) for h in hypotheses) / max(1, len(hypotheses)), 4)


def main() -> int:
    parser = run_parser(
        __doc__.splitlines()[0],
        "data folder: test.<lang> (scored) and train.<lang> (the vocabulary each language's corpus uses)",
    )
    args = parser.parse_args()
    if (args.src, args.tgt) not in (LANGUAGES, LANGUAGES[::-1]):
        parser.error("the word classes are English and French: --src and --tgt must be en and fr")
    files = [f"{split}.{lang}" for split in ("test", "train") for lang in (args.src, args.tgt)]
    translator, texts, checkpoint = load_scored_run(parser, args.run, args.data, files)
    vocabularies = {lang: set().union(*map(words, texts[f"train.{lang}"])) for lang in (args.src, args.tgt)}

    directions = {}
    for src, tgt in ((args.src, args.tgt), (args.tgt, args.src)):
        sources, references = texts[f"test.{src}"], texts[f"test.{tgt}"]
        hypotheses = translator.translate(sources, tgt)
        found = {}
        for name, members in CLASSES.items():
            oriented = members if src == "en" else [(fr, en) for en, fr in members]
            found[name] = class_outcomes(sources, references, hypotheses, oriented)
        found["copied_word_share"] = copied_share(sources, hypotheses, vocabularies[tgt])
        found["looping_output_share"] = looping_share(hypotheses)
        directions[f"{src}-{tgt}"] = found
    write_result(args.out, args.run, checkpoint, directions=directions)
    for direction, found in directions.items():
        classes = ", ".join(f"{name} right {found[name]['right']} confused {found[name]['confused']} "
                            f"({found[name]['probes']} probes)" for name in CLASSES)
        print(f"{direction}: {classes}; copied {found['copied_word_share']}, looping {found['looping_output_share']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
