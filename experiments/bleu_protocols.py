"""One checkpoint's test translations scored under several BLEU protocols, to show how much of a gap to a published
figure is the scoring rather than the model.

Our benchmarks report sacreBLEU on detokenized, cased text (the reproducible standard). Papers of 2017-2018 often
ran Moses' multi-bleu.perl on Moses-tokenized and sometimes lowercased text, which splits French elisions ("l'homme"
-> "l' homme") and English clitics into tokens of their own and so counts more, easier n-gram matches. This script
translates the test set once and scores the same hypotheses four ways (needs `pip install sacremoses`):

    python experiments/bleu_protocols.py --run RUNS/multi30k-... --data DATA \
        --beam 1 --out experiments/results/bleu_protocols.json
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import sacrebleu

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "benchmarks")]  # its neighbours, then benchmarks/ helpers
from scored_run import load_scored_run, run_parser, write_result  # noqa: E402

# Moses-tokenized text ends in a separate period on purpose; sacreBLEU would warn about it on every call.
logging.getLogger("sacrebleu").setLevel(logging.ERROR)


def moses_tokenize(lines: list[str], lang: str) -> list[str]:
    from sacremoses import MosesTokenizer  # optional: only this benchmark needs it

    tokenizer = MosesTokenizer(lang=lang)
    return [tokenizer.tokenize(line, escape=False, return_str=True) for line in lines]


def bleu_under_protocols(hypotheses: list[str], references: list[str], lang: str) -> dict[str, float]:
    """BLEU of the same hypotheses: sacreBLEU's detokenized protocol, cased and lowercased, and multi-bleu style
    (Moses-tokenized text split on whitespace only), cased and lowercased."""
    hyp_tok, ref_tok = moses_tokenize(hypotheses, lang), moses_tokenize(references, lang)
    return {
        "sacrebleu_13a_cased": sacrebleu.corpus_bleu(hypotheses, [references]).score,
        "sacrebleu_13a_lowercased": sacrebleu.corpus_bleu(hypotheses, [references], lowercase=True).score,
        "moses_tokenized_cased": sacrebleu.corpus_bleu(hyp_tok, [ref_tok], tokenize="none").score,
        "moses_tokenized_lowercased": sacrebleu.corpus_bleu(hyp_tok, [ref_tok], tokenize="none", lowercase=True).score,
    }


def main() -> int:
    parser = run_parser(__doc__.splitlines()[0], "folder with test.<src> and test.<tgt>")
    parser.add_argument("--beam", type=int, default=1)
    args = parser.parse_args()
    try:
        import sacremoses  # noqa: F401
    except ImportError:
        parser.error("needs sacremoses: pip install sacremoses")
    translator, texts, checkpoint = load_scored_run(
        parser, args.run, args.data, [f"test.{args.src}", f"test.{args.tgt}"]
    )
    lines = {lang: texts[f"test.{lang}"] for lang in (args.src, args.tgt)}
    scores = {}
    for src, tgt in ((args.src, args.tgt), (args.tgt, args.src)):
        hypotheses = translator.translate(lines[src], tgt, args.beam)
        scores[f"{src}-{tgt}"] = {k: round(v, 2) for k, v in bleu_under_protocols(hypotheses, lines[tgt], tgt).items()}
    write_result(args.out, args.run, checkpoint, beam=args.beam, scores=scores)
    for direction, by_protocol in scores.items():
        print(direction, "  ".join(f"{name} {value:.2f}" for name, value in by_protocol.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
