"""Bilingual lexicon induction without parallel data, every method side by side: precision@1/@5 against a
reference dictionary, the unsupervised criterion, and word-by-word BLEU on the parallel test set.

    python benchmarks/lexicon_induction.py --corpus toy
    python benchmarks/lexicon_induction.py --corpus multi30k --data DIR --gold en-fr.test.txt --lowercase
    python benchmarks/lexicon_induction.py --corpus multi30k --data DIR --gold en-cs.test.txt --lowercase --tgt cs \\
        --embeddings skipgram "skipgram:epochs=30,subwords=3-6" --methods identical self_learning auto \\
        --cache /tmp/vectors --name alignment-methods-20261201 --append

DIR is the output of data_scripts/prepare_multi30k.py (monolingual halves + test); the gold dictionary comes from
data_scripts/build_test_dictionary.py on the *parallel* training pairs and is used only for scoring here: no row's
choice (auto's included) reads it.

--embeddings takes names or specs: `skipgram` (dim --dim, 10 epochs, count >= 3: the earlier rows), `ppmi` (PPMI-SVD),
or `skipgram:key=value,...` with keys epochs, min_count, window, dim, subwords (e.g. 3-6, fastText's character
n-grams). --cache keeps trained vectors, so that the English side is trained once for both pairs. --append merges
the rows into an existing result file (rows of the same pair, embeddings and method are replaced), so a long
comparison can run as several short jobs.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np
import sacrebleu
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import RESULTS, command, timestamped, write_report  # noqa: E402
from unmt.data.corpus import read_lines  # noqa: E402
from unmt.data.toy import generate_toy_corpus, gold_lexicon  # noqa: E402
from unmt.lexicon.align import mean_csls_cosine, procrustes  # noqa: E402
from unmt.lexicon.embeddings import WordEmbeddings, train_embeddings, words_of  # noqa: E402
from unmt.lexicon.evaluation import precision_at_k, read_dictionary  # noqa: E402
from unmt.lexicon.induce import induce_lexicon, translate_word_by_word  # noqa: E402
from unmt.lexicon.pipeline import align_embeddings  # noqa: E402
from unmt.lexicon.skipgram import train_skipgram  # noqa: E402

logging.getLogger("sacrebleu").setLevel(logging.ERROR)
SPEC_KEYS = {
    "epochs": int, "min_count": int, "window": int, "dim": int, "subwords": lambda v: tuple(map(int, v.split("-")))
}


def load(args):
    if args.corpus == "toy":
        corpus = generate_toy_corpus(n_train=args.toy_sentences, n_valid=1, n_test=500, seed=0)
        return corpus.train_en, corpus.train_fr, corpus.test_en, corpus.test_fr, gold_lexicon()
    names = [f"{split}.{lang}" for split in ("train", "test") for lang in (args.src, args.tgt)]
    lines = {name: read_lines(args.data / name) for name in names}
    return (*(lines[name] for name in names[:2]), *(lines[name] for name in names[2:]), read_dictionary(args.gold))


def parse_spec(spec: str, dim: int) -> dict:
    """'skipgram' / 'ppmi' / 'skipgram:epochs=30,subwords=3-6' -> training settings."""
    kind, _, options = spec.partition(":")
    if kind not in ("skipgram", "ppmi"):
        raise SystemExit(f"error: embeddings {spec!r}: the kind must be skipgram or ppmi")
    settings = {"kind": kind, "dim": dim, "epochs": 10, "min_count": 3, "window": 5, "subwords": None}
    for item in filter(None, options.split(",")):
        key, _, value = item.partition("=")
        if key not in SPEC_KEYS:
            raise SystemExit(f"error: embeddings {spec!r}: unknown key {key!r} (known: {', '.join(SPEC_KEYS)})")
        settings[key] = SPEC_KEYS[key](value)
    return settings


def train_space(lines: list[str], settings: dict, cache: Path | None, tag: str) -> tuple[WordEmbeddings, float]:
    """The embeddings of one corpus, from the cache when the same text and settings were trained before."""
    key = hashlib.sha1(json.dumps([settings, lines]).encode()).hexdigest()[:16]
    path = cache / f"{tag}-{key}.npz" if cache else None
    if path is not None and path.is_file():
        stored = np.load(path, allow_pickle=False)
        return WordEmbeddings(list(stored["words"]), stored["vectors"], stored["counts"]), float(stored["seconds"])
    started = time.time()
    if settings["kind"] == "skipgram":
        space = train_skipgram(
            [words_of(s) for s in lines], dim=settings["dim"], window=settings["window"], epochs=settings["epochs"],
            min_count=settings["min_count"], subwords=settings["subwords"]
        )
    else:
        space = train_embeddings(lines, dim=settings["dim"], window=settings["window"], min_count=settings["min_count"])
    seconds = time.time() - started
    if path is not None:
        cache.mkdir(parents=True, exist_ok=True)
        np.savez(path, words=np.array(space.words), vectors=space.vectors, counts=space.counts, seconds=seconds)
    return space, seconds


def word_by_word_bleu(forward, backward, test_src, test_tgt, src, tgt) -> dict:
    hyp_tgt = [translate_word_by_word(line, forward) for line in test_src]
    hyp_src = [translate_word_by_word(line, backward) for line in test_tgt]
    return {f"bleu_{src}_{tgt}": sacrebleu.corpus_bleu(hyp_tgt, [test_tgt]).score,
            f"bleu_{tgt}_{src}": sacrebleu.corpus_bleu(hyp_src, [test_src]).score}


def oracle_row(source, target, gold, pair, spec) -> dict:
    """Procrustes on the test dictionary itself: how far an orthogonal map can go with these embeddings (analysis
    only; it fits the words it is scored on, so it is a ceiling, and nothing is chosen by it)."""
    source_index, target_index = source.index(), target.index()
    pairs = [
        (source_index[w], target_index[t])
        for w, ts in gold.items()
        if w in source_index
        for t in ts
        if t in target_index
    ]
    rows, cols = zip(*pairs)
    W = procrustes(source.vectors[list(rows)], target.vectors[list(cols)])
    return {
        "pair": pair, "embeddings": spec, "method": "oracle", "stage": "Procrustes on the test dictionary (ceiling)",
        "criterion": mean_csls_cosine(source, target, W), **precision_at_k(source, target, W, gold)
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=["toy", "multi30k"], required=True)
    parser.add_argument("--data", type=Path, help="prepared Multi30k folder (train/test of both languages)")
    parser.add_argument("--gold", type=Path, help="test dictionary for Multi30k")
    parser.add_argument("--src", default="en", help="source language of the Multi30k folder")
    parser.add_argument("--tgt", default="fr", help="target language of the Multi30k folder (e.g. cs)")
    parser.add_argument("--toy-sentences", type=int, default=20000)
    parser.add_argument("--lowercase", action="store_true", help="lower-case the training text (recased on output)")
    parser.add_argument("--dim", type=int, default=50)
    parser.add_argument(
        "--embeddings", nargs="+", default=["skipgram", "ppmi"], help="embedding names or specs (see above)"
    )
    parser.add_argument("--methods", nargs="*", default=["identical", "adversarial"],
                        choices=["identical", "adversarial", "self_learning", "identical_self_learning", "auto"],
                        help="alignment methods (none: only train the embeddings, e.g. to fill --cache)")
    parser.add_argument("--restarts", type=int, default=3, help="adversarial runs, best by the unsupervised criterion")
    parser.add_argument(
        "--no-anchors", action="store_true", help="skip the anchor-profile lexicon (training's default)"
    )
    parser.add_argument(
        "--oracle", action="store_true", help="also report Procrustes on the test dictionary (a ceiling)"
    )
    parser.add_argument("--cache", type=Path, help="folder to keep trained embeddings in")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder of the JSON")
    parser.add_argument("--name", help="result file name without .json (default lexicon_induction-CORPUS-DATE)")
    parser.add_argument("--append", action="store_true", help="merge into the result file if it exists")
    args = parser.parse_args()
    if args.corpus == "multi30k" and not (args.data and args.gold):
        parser.error("--corpus multi30k needs --data and --gold")
    if args.corpus == "toy":
        args.src, args.tgt = "en", "fr"
    torch.set_num_threads(args.threads)
    pair, src, tgt = f"{args.src}-{args.tgt}", args.src, args.tgt
    train_src, train_tgt, test_src, test_tgt, gold = load(args)
    if args.lowercase:
        train_src, train_tgt = [s.lower() for s in train_src], [s.lower() for s in train_tgt]
    rows = []

    def emit(row):
        rows.append(row)
        print(json.dumps(row), flush=True)

    if not args.no_anchors:
        started = time.time()
        lexicon = induce_lexicon(train_src, train_tgt)
        forward_gold = {w: g for w, g in gold.items() if w in lexicon.forward}
        p1 = sum(lexicon.forward[w] in g for w, g in forward_gold.items()) / max(1, len(forward_gold))
        emit(
            {
                "pair": pair, "embeddings": "ppmi (anchor profiles)", "method": "anchors",
                "stage": "anchor profiles + PPMI-SVD refinement (the training default)", "p@1": p1,
                "words": len(forward_gold),
                **word_by_word_bleu(lexicon.forward, lexicon.backward, test_src, test_tgt, src, tgt),
                "seconds": time.time() - started
            }
        )

    for spec in args.embeddings:
        settings = parse_spec(spec, args.dim)
        (source, src_seconds), (target, tgt_seconds) = (
            train_space(lines, settings, args.cache, f"{args.corpus}-{lang}")
            for lines, lang in ((train_src, src), (train_tgt, tgt))
        )
        shared = len(set(source.words) & set(target.words))
        base = {
            "pair": pair, "embeddings": spec, "vocabulary": [len(source.words), len(target.words)],
            "shared_strings": shared, "embedding_seconds": src_seconds + tgt_seconds
        }
        if args.oracle:
            emit({**base, **oracle_row(source, target, gold, pair, spec)})
        for method in args.methods:
            started = time.time()
            restarts = args.restarts if method == "adversarial" else 1
            result = align_embeddings(source, target, method, refinements=5, restarts=restarts, gold=gold)
            seconds = time.time() - started
            chosen = {"chosen": result.report["method"]} if method == "auto" else {}
            *earlier, last = [{**base, "method": method, **chosen, **stage} for stage in result.report["stages"]]
            last.update(
                word_by_word_bleu(result.forward, result.backward, test_src, test_tgt, src, tgt), seconds=seconds
            )
            if method == "auto":
                last["candidates"] = {m: c["criterion"] for m, c in result.report["candidates"].items()}
            for row in (*earlier, last):
                emit(row)

    path = args.out / f"{args.name}.json" if args.name else timestamped(f"lexicon_induction-{args.corpus}", args.out)
    result = {
        "corpus": args.corpus, "lowercase": args.lowercase, "dim": args.dim, "commands": [command()], "rows": rows
    }
    if args.append and path.is_file():
        earlier = json.loads(path.read_text())
        key = lambda r: (r.get("pair", "en-fr"), r.get("embeddings"), r.get("method"))  # noqa: E731
        replaced = {key(r) for r in rows}
        result["rows"] = [r for r in earlier["rows"] if key(r) not in replaced] + rows
        result["commands"] = earlier.get("commands", []) + [command()]
    write_report(path, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
