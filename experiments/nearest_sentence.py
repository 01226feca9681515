"""Would sentences mined from the other language's monolingual corpus make better targets than the model's own
translations?

Multi30k's two monolingual halves caption different images of one narrow domain, so many captions have a close
cousin on the other side. Mining such pairs (pseudo-parallel data from the monolingual corpora) only pays if the
nearest real sentence is a better translation than the model's output. This script measures that on the test set,
where references exist: it translates each test source with the run's round-trip-selected checkpoint, finds the
real sentence of the target language's training half most similar to that translation (cosine of character n-gram
TF-IDF vectors), and scores both against the reference, overall and among the most similar fractions, the pairs a
miner would keep. Nothing here trains or selects anything. Needs scikit-learn (`pip install scikit-learn`).

    python experiments/nearest_sentence.py --run RUNS/multi30k-... --data DATA \
        --out experiments/results/nearest_sentence.json
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import sacrebleu

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "benchmarks")]  # its neighbours, then benchmarks/ helpers
from scored_run import load_scored_run, run_parser, write_result  # noqa: E402

FRACTIONS = (0.05, 0.1, 0.2, 0.5, 1.0)


def nearest_sentences(queries: list[str], pool: list[str], chunk: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """For each query, the index of the most similar pool sentence and that similarity (cosine of character 2-4-gram
    TF-IDF vectors, which tolerate the model's misspelt or half-right words better than word overlap)."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # optional: only this benchmark needs it

    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True).fit(pool + queries)
    pool_vectors, query_vectors = vectorizer.transform(pool), vectorizer.transform(queries)
    best, similarity = [], []
    for start in range(0, len(queries), chunk):  # chunks keep the dense similarity block small
        block = (query_vectors[start : start + chunk] @ pool_vectors.T).toarray()
        best.append(block.argmax(axis=1))
        similarity.append(block.max(axis=1))
    return np.concatenate(best), np.concatenate(similarity)


def score_by_similarity(hypotheses: list[str], retrieved: list[str], references: list[str], similarity: np.ndarray,
                        fractions=FRACTIONS) -> list[dict]:
    """Model output and nearest real sentence, each scored against the references, on the most similar fractions."""
    order = np.argsort(-similarity, kind="stable")
    rows = []
    for fraction in fractions:
        kept = order[: max(1, round(fraction * len(order)))]
        refs = [[references[i] for i in kept]]
        model, mined = [hypotheses[i] for i in kept], [retrieved[i] for i in kept]
        rows.append({
            "fraction": fraction, "sentences": len(kept), "min_similarity": round(float(similarity[kept[-1]]), 3),
            "model_bleu": round(sacrebleu.corpus_bleu(model, refs).score, 2),
            "nearest_bleu": round(sacrebleu.corpus_bleu(mined, refs).score, 2),
            "model_chrf": round(sacrebleu.corpus_chrf(model, refs).score, 2),
            "nearest_chrf": round(sacrebleu.corpus_chrf(mined, refs).score, 2),
        })
    return rows


def main() -> int:
    parser = run_parser(__doc__.splitlines()[0], "folder with train.<lang> (the monolingual halves) and test.<lang>")
    args = parser.parse_args()
    try:
        import sklearn  # noqa: F401
    except ImportError:
        parser.error("needs scikit-learn: pip install scikit-learn")
    files = [f"{split}.{lang}" for split in ("train", "test") for lang in (args.src, args.tgt)]
    translator, texts, checkpoint = load_scored_run(parser, args.run, args.data, files)
    directions = {}
    for src, tgt in ((args.src, args.tgt), (args.tgt, args.src)):
        hypotheses = translator.translate(texts[f"test.{src}"], tgt)
        pool = [line.strip() for line in texts[f"train.{tgt}"] if line.strip()]
        best, similarity = nearest_sentences(hypotheses, pool)
        retrieved = [pool[j] for j in best]
        references = texts[f"test.{tgt}"]
        top = np.argsort(-similarity, kind="stable")[:3]
        directions[f"{src}-{tgt}"] = {
            "by_similarity": score_by_similarity(hypotheses, retrieved, references, similarity),
            "most_similar_examples": [
                {
                    "source": texts[f"test.{src}"][i], "model": hypotheses[i], "nearest": retrieved[i],
                    "reference": references[i]
                }
                for i in top.tolist()
            ],
        }
    write_result(args.out, args.run, checkpoint, directions=directions)
    for direction, found in directions.items():
        for row in found["by_similarity"]:
            print(f"{direction} most similar {row['fraction']:.0%}: BLEU model {row['model_bleu']:.2f}, "
                  f"nearest real sentence {row['nearest_bleu']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
