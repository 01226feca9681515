"""Bilingual lexicon induction without parallel data, every method side by side: precision@1/@5 against a
reference dictionary, the unsupervised criterion, and word-by-word BLEU on the parallel test set.

    python benchmarks/lexicon_induction.py --corpus toy
    python benchmarks/lexicon_induction.py --corpus multi30k --data DIR --gold en-fr.test.txt

DIR is the output of data_scripts/prepare_multi30k.py (monolingual halves + test); the gold dictionary comes from
data_scripts/build_test_dictionary.py on the *parallel* training pairs and is used only for scoring here.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import sacrebleu
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine_info import machine  # noqa: E402

from unmt.data.corpus import read_lines  # noqa: E402
from unmt.data.toy import generate_toy_corpus, gold_lexicon  # noqa: E402
from unmt.lexicon.embeddings import train_embeddings, words_of  # noqa: E402
from unmt.lexicon.evaluation import read_dictionary  # noqa: E402
from unmt.lexicon.induce import induce_lexicon, translate_word_by_word  # noqa: E402
from unmt.lexicon.pipeline import align_embeddings  # noqa: E402
from unmt.lexicon.skipgram import train_skipgram  # noqa: E402

logging.getLogger("sacrebleu").setLevel(logging.ERROR)


def load(args):
    if args.corpus == "toy":
        corpus = generate_toy_corpus(n_train=args.toy_sentences, n_valid=1, n_test=500, seed=0)
        return corpus.train_en, corpus.train_fr, corpus.test_en, corpus.test_fr, gold_lexicon()
    lines = {name: read_lines(args.data / name) for name in ("train.en", "train.fr", "test.en", "test.fr")}
    return lines["train.en"], lines["train.fr"], lines["test.en"], lines["test.fr"], read_dictionary(args.gold)


def word_by_word_bleu(forward, backward, test_en, test_fr) -> dict:
    hyp_fr = [translate_word_by_word(line, forward) for line in test_en]
    hyp_en = [translate_word_by_word(line, backward) for line in test_fr]
    return {"bleu_en_fr": sacrebleu.corpus_bleu(hyp_fr, [test_fr]).score, "bleu_fr_en": sacrebleu.corpus_bleu(hyp_en, [test_en]).score}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=["toy", "multi30k"], required=True)
    parser.add_argument("--data", type=Path, help="prepared Multi30k folder (train/test .en/.fr)")
    parser.add_argument("--gold", type=Path, help="test dictionary for Multi30k")
    parser.add_argument("--toy-sentences", type=int, default=20000)
    parser.add_argument("--lowercase", action="store_true", help="lower-case the training text (recased on output)")
    parser.add_argument("--dim", type=int, default=50)
    parser.add_argument("--restarts", type=int, default=3, help="adversarial runs, best by the unsupervised criterion")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    if args.corpus == "multi30k" and not (args.data and args.gold):
        parser.error("--corpus multi30k needs --data and --gold")
    torch.set_num_threads(1)
    train_en, train_fr, test_en, test_fr, gold = load(args)
    if args.lowercase:
        train_en, train_fr = [s.lower() for s in train_en], [s.lower() for s in train_fr]
    rows = []

    started = time.time()
    lexicon = induce_lexicon(train_en, train_fr)
    forward_gold = {w: g for w, g in gold.items() if w in lexicon.forward}
    p1 = sum(lexicon.forward[w] in g for w, g in forward_gold.items()) / max(1, len(forward_gold))
    rows.append({"method": "anchor profiles + PPMI-SVD refinement (the training default)", "p@1": p1, "words": len(forward_gold),
                 **word_by_word_bleu(lexicon.forward, lexicon.backward, test_en, test_fr), "seconds": time.time() - started})
    print(json.dumps(rows[-1]), flush=True)

    for embedding_name in ("skipgram", "ppmi"):
        started = time.time()
        if embedding_name == "skipgram":
            source, target = (train_skipgram([words_of(s) for s in side], dim=args.dim, min_count=3) for side in (train_en, train_fr))
        else:
            source, target = (train_embeddings(side, dim=args.dim, window=5, min_count=3) for side in (train_en, train_fr))
        embedding_seconds = time.time() - started
        for method in ("identical", "adversarial"):
            started = time.time()
            result = align_embeddings(source, target, method, refinements=5, restarts=args.restarts if method == "adversarial" else 1, gold=gold)
            seconds = time.time() - started + embedding_seconds
            for stage in result.report["stages"]:
                rows.append({"method": f"{embedding_name} + {stage['stage']}", **{k: v for k, v in stage.items() if k != "stage"}})
            rows[-1].update(word_by_word_bleu(result.forward, result.backward, test_en, test_fr), seconds=seconds)
            print(json.dumps(rows[-2]), flush=True)
            print(json.dumps(rows[-1]), flush=True)

    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"lexicon_induction-{args.corpus}.json"
    path.write_text(json.dumps({"corpus": args.corpus, "lowercase": args.lowercase, "dim": args.dim, "machine": machine(), "rows": rows}, indent=1))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
