"""`unmt embed` and `unmt align`: cross-lingual word embeddings from two monolingual corpora, wired into unmt.cli
by `add_lexicon_parsers`."""
from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from unmt.config import ConfigError
from unmt.data.corpus import DataError, read_lines
from unmt.run_layout import LEXICON

log = logging.getLogger("unmt")


def add_lexicon_parsers(commands) -> None:
    embed = commands.add_parser("embed", help="word embeddings of one monolingual corpus (skip-gram or PPMI-SVD)")
    embed.add_argument("--input", type=Path, required=True, help="text file, one sentence per line")
    embed.add_argument("--output", type=Path, required=True, help="where to write the vectors (.vec text format)")
    embed.add_argument("--method", choices=["skipgram", "ppmi"], default="skipgram")
    embed.add_argument("--dim", type=int, default=100)
    embed.add_argument("--window", type=int, default=5)
    embed.add_argument("--epochs", type=int, default=10, help="skip-gram passes over the corpus")
    embed.add_argument("--min-count", type=int, default=2)
    embed.add_argument("--max-words", type=int, default=50000)
    embed.add_argument("--lowercase", action="store_true", help="lower-case the text first (small corpora)")
    embed.add_argument("--seed", type=int, default=0)
    embed.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = torch's default)")

    align = commands.add_parser("align", help="map source embeddings onto target embeddings without a dictionary")
    align.add_argument("--src-emb", type=Path, required=True, help="source .vec file (from unmt embed)")
    align.add_argument("--tgt-emb", type=Path, required=True, help="target .vec file")
    align.add_argument("--src", required=True, help="source language code, e.g. en")
    align.add_argument("--tgt", required=True, help="target language code, e.g. fr")
    align.add_argument("--output", type=Path, required=True, help="folder for mapping.npy, lexicon.json, report.json "
                       "and the aligned vectors SRC.vec, TGT.vec")
    align.add_argument(
        "--method",
        choices=["adversarial", "identical", "self_learning", "identical_self_learning", "auto"],
        default="adversarial",
        help="first map: adversarial training, Procrustes on identical strings (names, numbers, cognates), "
             "self_learning (Artetxe et al. 2018: no shared strings needed), identical_self_learning (self-learning "
             "started from the identical strings), or auto (the last three compared, the one with the higher "
             "unsupervised criterion kept)",
    )
    align.add_argument("--max-words", type=int, default=200_000, help="most frequent words read from each file "
                       "(fastText's Wikipedia files hold millions)")
    align.add_argument("--refinements", type=int, default=5, help="Procrustes refinement iterations")
    align.add_argument("--restarts", type=int, default=1, help="adversarial runs with different seeds; the best "
                       "by the unsupervised criterion is kept")
    align.add_argument("--gold", type=Path, help="test dictionary ('src tgt' per line) to report precision@1/@5")
    align.add_argument("--seed", type=int, default=0)
    align.add_argument("--threads", type=int, default=0)


def cmd_embed(args) -> int:
    from unmt.lexicon.embeddings import train_embeddings, words_of
    from unmt.lexicon.skipgram import train_skipgram
    from unmt.lexicon.vectors_io import write_vectors

    _set_threads(args.threads)
    if not args.input.is_file():
        raise DataError(f"input corpus {args.input} does not exist")
    for name in ("dim", "window", "epochs", "min_count", "max_words"):
        if getattr(args, name) < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be at least 1")
    lines = [line.lower() if args.lowercase else line for line in read_lines(args.input)]
    if not any(line.strip() for line in lines):
        raise DataError(f"input corpus {args.input} is empty")
    if args.method == "skipgram":
        embeddings = train_skipgram(
            [words_of(line) for line in lines], dim=args.dim, window=args.window, epochs=args.epochs,
            min_count=args.min_count, max_words=args.max_words, seed=args.seed,
        )
    else:
        embeddings = train_embeddings(
            lines, dim=args.dim, window=args.window, max_words=args.max_words, min_count=args.min_count, seed=args.seed
        )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_vectors(args.output, embeddings)
    log.info("wrote %d %d-dimensional vectors to %s", len(embeddings.words), embeddings.vectors.shape[1], args.output)
    return 0


def cmd_align(args) -> int:
    from unmt.checkpoint import atomic_save
    from unmt.lexicon.embeddings import normalize
    from unmt.lexicon.evaluation import read_dictionary
    from unmt.lexicon.pipeline import align_embeddings
    from unmt.lexicon.vectors_io import read_vectors, write_vectors
    from unmt.run_directory import RunDirectory

    _set_threads(args.threads)
    if args.src == args.tgt:
        raise ConfigError(f"--src and --tgt are both '{args.src}': give two different languages")
    for path in (args.src_emb, args.tgt_emb, args.gold):
        if path is not None and not path.is_file():
            raise DataError(f"{path} does not exist")
    # MUSE normalisation (unit length, centred), whatever tool wrote the vectors.
    if args.max_words < 1:
        raise ConfigError("--max-words must be at least 1")
    source, target = (read_vectors(path, args.max_words) for path in (args.src_emb, args.tgt_emb))
    source.vectors, target.vectors = normalize(source.vectors), normalize(target.vectors)
    gold = read_dictionary(args.gold) if args.gold else None
    with RunDirectory(args.output) as run:  # one aligner at a time per folder; each file whole or not at all
        result = align_embeddings(source, target, args.method, args.refinements, args.restarts, args.seed, gold)
        atomic_save(lambda out: np.save(out, result.W, allow_pickle=False), run.path / "mapping.npy")
        lexicon = {args.tgt: result.forward, args.src: result.backward}  # keyed by the language translated into
        run.write_text(LEXICON, json.dumps(lexicon, ensure_ascii=False, indent=0))
        run.write_json("report.json", result.report)
        # Both languages in the target space, as the vector files `unmt train` starts its embeddings from.
        write_vectors(run.path / f"{args.src}.vec", replace(source, vectors=source.vectors @ result.W.T))
        write_vectors(run.path / f"{args.tgt}.vec", target)
        for step, stage in enumerate(result.report["stages"]):
            run.log("eval", {"step": step, **stage})
            print(" ".join(f"{k}={round(v, 4) if isinstance(v, float) else v}" for k, v in stage.items()))
    return 0


def _set_threads(threads: int) -> None:
    if threads > 0:
        torch.set_num_threads(threads)
