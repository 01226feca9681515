"""`unmt export` and `unmt import`, and the CTranslate2 engine of `unmt translate` / `unmt evaluate`."""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

from unmt.checkpoint import find_run
from unmt.export.ctranslate2 import QUANTIZATIONS
from unmt.export.output_folder import ExportError

log = logging.getLogger("unmt")

EXPORT_FORMATS = ("ctranslate2", "fairseq", "transformers")
IMPORT_FORMATS = ("fairseq",)
ENGINES = ("torch", "ctranslate2")


def _format_argument(parser: argparse.ArgumentParser, formats: tuple[str, ...]) -> None:
    # Checked by the command, not by argparse, so that an unknown format gets the usual one sentence.
    parser.add_argument("--format", required=True, help=" or ".join(formats))


def add_export_parsers(commands) -> None:
    export = commands.add_parser(
        "export", help="write a trained run as a CTranslate2, fairseq or Hugging Face transformers model"
    )
    export.add_argument("run", help="run name under --checkpoints-dir, or a run folder")
    export.add_argument("out", type=Path, help="the folder to write (new, or empty)")
    _format_argument(export, EXPORT_FORMATS)
    export.add_argument("--quantization", default="float32",
                        help=f"CTranslate2 weight type: {', '.join(QUANTIZATIONS)} (default: float32)")
    export.add_argument("--which", choices=("best", "latest"), default="best", help="which checkpoint of the run")

    imported = commands.add_parser("import", help="make a unmt run from a fairseq transformer checkpoint")
    imported.add_argument("checkpoint", type=Path, help="the fairseq checkpoint (.pt), with its dict.*.txt beside it")
    _format_argument(imported, IMPORT_FORMATS)
    imported.add_argument("--run", help="name of the run folder to create under --checkpoints-dir "
                                        "(default: <src>-<tgt>-imported)")
    imported.add_argument("--data", type=Path, help="folder with dict.<src>.txt, dict.<tgt>.txt and spm.model "
                                                    "(default: the checkpoint's folder)")
    imported.add_argument("--approximate", action="store_true",
                          help="accept a checkpoint that differs only in values unmt cannot hold (positions other "
                               "than unmt's sinusoidal table, untied embeddings, a decoder that starts elsewhere than "
                               "at the language tag): unmt's positions and the encoder's embeddings are used, so its "
                               "translations differ from fairseq's")


def _check_format(args, formats: tuple[str, ...]) -> None:
    if args.format not in formats:
        raise ExportError(f"unknown format '{args.format}'; choose one of {', '.join(formats)}")


def cmd_export(args) -> int:
    _check_format(args, EXPORT_FORMATS)
    run_dir = find_run(args.checkpoints_dir, args.run)
    if args.format == "ctranslate2":
        from unmt.export.ctranslate2 import export_ctranslate2

        export_ctranslate2(run_dir, args.out, args.quantization, args.which)
    elif args.quantization != "float32":
        raise ExportError(f"--quantization applies to CTranslate2 only; {args.format} models are written in float32")
    elif args.format == "fairseq":
        from unmt.export.fairseq import export_fairseq

        export_fairseq(run_dir, args.out, args.which)
    else:
        from unmt.export.huggingface import export_transformers

        export_transformers(run_dir, args.out, args.which)
    log.info("wrote %s model of run %s to %s", args.format, run_dir, args.out)
    print(args.out)
    return 0


def cmd_import(args) -> int:
    _check_format(args, IMPORT_FORMATS)
    from unmt.export.fairseq_import import import_fairseq

    name = args.run
    if name is not None and (not name.strip() or name.startswith(".") or "/" in name or "\\" in name):
        raise ExportError(f"--run {args.run!r} must be a plain folder name; use --checkpoints-dir for another folder")

    run_dir = import_fairseq(args.checkpoint, args.checkpoints_dir, args.run, args.data, args.approximate)
    log.info("imported %s into run %s", args.checkpoint, run_dir)
    print(run_dir)
    return 0


def load_ctranslate2(checkpoints: list[str] | None, device="cpu", word_by_word: bool = False):
    """What cli._load returns, for --engine ctranslate2: ([model folder], translator, its unmt.json)."""
    from unmt.export.ct2_translator import CTranslate2Translator

    if not checkpoints or len(checkpoints) != 1:
        raise ExportError("--engine ctranslate2 needs exactly one --checkpoint: a folder written by "
                          "`unmt export RUN --format ctranslate2 OUT`")
    if word_by_word:
        raise ExportError("--word-by-word translates with a lexicon, not an engine: leave out --engine ctranslate2")
    model_dir = Path(checkpoints[0])
    translator = CTranslate2Translator(model_dir, device)
    return [model_dir], translator, translator.info
