"""The `unmt` command: parse arguments, load the configuration, call the library. Nothing else lives here."""
from __future__ import annotations

import argparse
import errno
import logging
import os
import signal
import sys
from pathlib import Path

# torch's C++ side logs connection retries with stack traces to stderr; a user gets our one sentence instead
# (set TORCH_CPP_LOG_LEVEL yourself to see them). Read when torch loads, so set before anything imports it.
os.environ.setdefault("TORCH_CPP_LOG_LEVEL", "FATAL")

from unmt.checkpoint import find_run, load_json
from unmt.config import ConfigError, load_config
from unmt.errors import USER_ERRORS
from unmt.export.cli import ENGINES, add_export_parsers, cmd_export, cmd_import
from unmt.gan.cli import add_gan_parser, run_gan
from unmt.lexicon.cli import add_lexicon_parsers, cmd_align, cmd_embed
from unmt.run_layout import LEXICON, RUN_INFO
from unmt.runs_cli import add_run_parsers, cmd_plot, cmd_tensorboard
from unmt.stop_signals import StoppedBySignal
from unmt.translation.decode_options import add_translate_arguments
from unmt.translation.evaluate_command import add_evaluate_arguments
from unmt.translation.score_command import add_score_parser

log = logging.getLogger("unmt")

# Failures of the machine, not of the code or the input: one sentence instead of a traceback.
ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO, errno.ENOMEM}


ENSEMBLE_HELP = (
    "run name or folder (default: the most recent run); repeat it to decode with an ensemble of runs that share "
    "a subword model"
)

ENGINE_HELP = "torch, or ctranslate2 with --checkpoint a folder written by `unmt export --format ctranslate2`"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="unmt", description="Unsupervised neural machine translation")
    parser.add_argument("--checkpoints-dir", type=Path, default=Path("checkpoints"), help="where runs live")
    parser.add_argument("--quiet", action="store_true", help="only warnings and errors on stderr")
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a translation model from two monolingual corpora")
    train.add_argument("--src", required=True, help="source language code, e.g. en")
    train.add_argument("--tgt", required=True, help="target language code, e.g. fr")
    train.add_argument("--data", type=Path, help="folder with train.<lang> (+ valid/test); default: the toy corpus")
    train.add_argument("--config", type=Path, help="YAML configuration file")
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config key")
    # --run-name: under torchrun, whose own parser reads `--run` as an ambiguous abbreviation of its --run-path
    train.add_argument("--run", "--run-name", dest="run", help="run name (default: <src>-<tgt>-<timestamp>)")
    train.add_argument("--resume", action="store_true", help="continue the run named by --run (default: latest)")
    train.add_argument("--max-steps", type=int, help="stop after this many steps")
    train.add_argument("--max-minutes", type=float, help="stop once the run has trained this long (all sessions)")

    translate = commands.add_parser("translate", help="translate stdin to stdout, one line out per line in")
    translate.add_argument("--checkpoint", action="append", help=ENSEMBLE_HELP)
    translate.add_argument("--engine", choices=ENGINES, default="torch", help=ENGINE_HELP)
    translate.add_argument("--src", help="source language (default: the run's source)")
    translate.add_argument("--tgt", help="target language (default: the run's target)")
    translate.add_argument(
        "--word-by-word", action="store_true", help="translate each word with a bilingual lexicon instead of the model"
    )
    translate.add_argument("--lexicon", type=Path, help="lexicon.json for --word-by-word (default: the run's)")
    add_translate_arguments(translate)  # decoding: search, n-best, sampling, batching, device

    evaluate = commands.add_parser(
        "evaluate",
        help="BLEU, chrF, chrF++ and TER of a run (both directions) or of a file; paired bootstrap with --compare",
    )
    evaluate.add_argument("--checkpoint", action="append", help=ENSEMBLE_HELP)
    evaluate.add_argument("--engine", choices=ENGINES, default="torch", help=ENGINE_HELP)
    evaluate.add_argument("--data", type=Path, help="folder with <split>.<lang> files (default: the run's data)")
    evaluate.add_argument("--split", default="test", help="file prefix of the parallel set (default: test)")
    evaluate.add_argument("--json", type=Path, help="also write the scores to this JSON file")
    add_evaluate_arguments(evaluate)  # decoding, --hyp/--ref, --compare
    add_score_parser(commands, ENSEMBLE_HELP, ENGINE_HELP, ENGINES)
    options = commands.add_parser("options", help="every configuration key of `unmt train`, with its default and help")
    options.add_argument("--markdown", action="store_true", help="as the Markdown table of docs/options.md")
    options.add_argument(
        "--summary", action="store_true", help="as the README's short table: keys and defaults per section"
    )
    serve = commands.add_parser("serve", help="a LibreTranslate-compatible HTTP service and web page (docs/serve.md)")
    serve.add_argument("--checkpoint", action="append", help="run name or folder (default: the most recent run); "
                       "repeat it to serve several language pairs")
    serve.add_argument("--engine", choices=ENGINES, default="torch", help=ENGINE_HELP)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument(
        "--api-key", help="require this api_key on every translation (default: $UNMT_API_KEY, else none)"
    )
    serve.add_argument("--beam", type=int, default=1, help="beam size (1 = greedy)")
    serve.add_argument("--max-batch", type=int, default=32, help="most lines decoded together")
    serve.add_argument("--max-chars", type=int, default=5000, help="most characters in one request")
    serve.add_argument(
        "--client-timeout", type=float, default=10.0, help="seconds a client has to send its request body"
    )
    add_lexicon_parsers(commands)
    add_export_parsers(commands)
    add_gan_parser(commands)
    add_run_parsers(commands)
    return parser


def cmd_train(args) -> int:
    from unmt.distributed import world_from_environment
    from unmt.train_command import choose_run_folder, positive, train_in_run_folder
    from unmt.translation.train import TrainingRun

    config = load_config(args.config, args.set)
    if args.src == args.tgt:
        raise ConfigError(f"--src and --tgt are both '{args.src}': give two different languages")
    positive("--max-steps", args.max_steps)
    positive("--max-minutes", args.max_minutes)
    world = world_from_environment(config.runtime.device)

    def choose() -> Path:
        run_dir = choose_run_folder(world, args.checkpoints_dir, args.run, f"{args.src}-{args.tgt}", args.resume)
        info = load_json(run_dir / RUN_INFO) if args.resume and (run_dir / RUN_INFO).is_file() else None
        if info and info["languages"] != [args.src, args.tgt]:
            raise ConfigError(f"run {run_dir} translates {info['src']}-{info['tgt']}, not {args.src}-{args.tgt}")
        return run_dir

    def train(directory) -> dict:
        run = TrainingRun(config, args.src, args.tgt, directory, args.data, resume=args.resume, world=world)
        return run.run(args.max_steps, args.max_minutes)

    return train_in_run_folder(world, choose, train)


def cmd_options(args) -> int:
    from unmt.config import Config
    from unmt.typed_config import options_markdown, options_summary, options_text

    render = options_summary if args.summary else options_markdown if args.markdown else options_text
    print(render(Config), end="")
    return 0


def _load(args, checkpoints: list[str] | None = None):
    """(the run folders, a translator over all of them, the first run's run.json), on args.device (default: cpu);
    `checkpoints` in place of args.checkpoint."""
    from unmt.translation.decode_options import resolve_device

    checkpoints = checkpoints or args.checkpoint
    device = resolve_device(getattr(args, "device", "cpu"), args.engine)
    if args.engine == "ctranslate2":
        from unmt.export.cli import load_ctranslate2

        return load_ctranslate2(checkpoints, device, getattr(args, "word_by_word", False))
    from unmt.translation.model_io import load_ensemble_translator

    run_dirs = [find_run(args.checkpoints_dir, name) for name in checkpoints or [None]]
    translator, info = load_ensemble_translator(run_dirs, device=device)
    if len(run_dirs) > 1:
        log.info("ensemble of %d runs: %s", len(run_dirs), ", ".join(run.name for run in run_dirs))
    return run_dirs, translator, info


def cmd_translate(args) -> int:
    from unmt.translation.decode_options import batching_from_args, options_from_args
    from unmt.translation.streaming import Throughput, translate_stream

    options, (batch_size, max_tokens) = options_from_args(args), batching_from_args(args)
    if options.nbest > 1 and args.output_format in ("text", "score"):
        raise ConfigError("--nbest above 1 needs --output-format nbest or json")
    if args.buffer_size is not None and args.buffer_size < 1:
        raise ConfigError("--buffer-size must be at least 1")
    if args.lexicon and not args.word_by_word:
        raise ConfigError("--lexicon is only used with --word-by-word")
    if args.word_by_word and args.output_format != "text":
        raise ConfigError("--word-by-word gives unscored translations: leave --output-format at text")
    if args.word_by_word and args.lexicon:
        translator, src, tgt = _word_by_word_translator(args)
    else:
        if args.word_by_word and args.checkpoint and len(args.checkpoint) > 1:
            raise ConfigError("--word-by-word uses one run's lexicon: give one --checkpoint")
        run_dirs, translator, info = _load(args)
        run_dir = run_dirs[0]
        src, tgt = _directions(args, info["languages"], info["src"], info["tgt"], f"run {run_dir.name}")
        if args.word_by_word:
            args.lexicon = run_dir / LEXICON
            if not args.lexicon.is_file():
                raise ConfigError(f"run {run_dir.name} has no lexicon.json (word_by_word_steps was 0): pass --lexicon")
            translator, src, tgt = _word_by_word_translator(args, default=(src, tgt))
    log.info("translating %s -> %s%s", src, tgt, " word by word" if args.word_by_word else "")
    # A person typing (or --buffer-size 1) gets each line answered as soon as it is read.
    buffer_size = args.buffer_size or (1 if sys.stdin.isatty() else 1000)
    throughput = Throughput()
    translate_stream(translator, sys.stdin.buffer, sys.stdout, tgt, batch_size=batch_size, chunk_lines=buffer_size,
                     options=options, max_tokens=max_tokens, output_format=args.output_format, throughput=throughput)
    log.info(throughput.line())
    return 0


def _directions(args, languages: list[str], default_src: str, default_tgt: str, name: str) -> tuple[str, str]:
    """--src/--tgt checked against the languages a model or lexicon knows; one of them implies the other."""
    src, tgt = args.src or default_src, args.tgt or default_tgt
    if args.src and not args.tgt and src in languages:
        tgt = next(lang for lang in languages if lang != src)
    if args.tgt and not args.src and tgt in languages:
        src = next(lang for lang in languages if lang != tgt)
    for lang in (src, tgt):
        if lang not in languages:
            raise ConfigError(f"{name} translates between {' and '.join(languages)}, not '{lang}'")
    if src == tgt:
        raise ConfigError(f"--src and --tgt are both '{src}'")
    return src, tgt


def _word_by_word_translator(args, default=None):
    from unmt.lexicon.word_by_word import WordByWordTranslator, load_lexicon

    lexicon = load_lexicon(args.lexicon)
    languages = list(lexicon)
    if len(languages) != 2:
        raise ConfigError(f"lexicon {args.lexicon} must hold exactly two languages, found {len(languages)}")
    # lexicon.json is keyed by the language translated into; without --src/--tgt the first key is the target.
    src, tgt = _directions(args, languages, *(default or (languages[1], languages[0])), f"lexicon {args.lexicon}")
    return WordByWordTranslator(lexicon), src, tgt


def cmd_serve(args) -> int:
    from unmt.serve.server import serve

    return serve(args)


def cmd_evaluate(args) -> int:
    from unmt.translation.evaluate_command import run_evaluate

    return run_evaluate(args, _load)


def cmd_score(args) -> int:
    from unmt.translation.score_command import run_score

    run_dirs, translator, info = _load(args)
    _, tgt = _directions(args, info["languages"], info["src"], info["tgt"], f"run {run_dirs[0].name}")
    return run_score(args, translator, tgt)


COMMANDS = {
    "train": cmd_train,
    "options": cmd_options,
    "translate": cmd_translate,
    "evaluate": cmd_evaluate,
    "serve": cmd_serve,
    "score": cmd_score,
    "export": cmd_export,
    "import": cmd_import,
    "embed": cmd_embed,
    "align": cmd_align,
    "gan": run_gan,
    "plot": cmd_plot,
    "tensorboard": cmd_tensorboard,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO, format="unmt: %(message)s", stream=sys.stderr
    )
    try:
        return COMMANDS[args.command](args)
    except USER_ERRORS as error:
        print(f"unmt: error: {error}", file=sys.stderr)
        return 2
    except StoppedBySignal as stopped:
        print(f"unmt: {stopped}", file=sys.stderr)
        return stopped.exit_code
    except KeyboardInterrupt as interrupt:
        print("unmt: interrupted", file=sys.stderr)
        return 128 + getattr(interrupt, "signum", signal.SIGINT)
    except BrokenPipeError:  # the reader went away (`unmt translate < big.txt | head -1`): nothing left to say
        _silence_stdout()
        return 0
    except OSError as error:
        if error.errno not in ENVIRONMENT_ERRNOS:  # anything else is a bug, and shows its traceback
            raise
        where = f"{error.filename}: " if error.filename else ""
        print(
            f"unmt: error: {where}{error.strerror}; nothing complete was lost: fix that and run again", file=sys.stderr
        )
        return 1


def _silence_stdout() -> None:
    """Points stdout at /dev/null, so the interpreter's final flush of the dead pipe raises nothing either."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
