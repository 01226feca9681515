"""What `unmt translate`, `evaluate` and `score` let a user choose about decoding, and the flags that choose it.

Flag names are fairseq-generate's where fairseq has the option (--beam, --nbest, --lenpen, --max-len-a/-b,
--min-len, --no-repeat-ngram-size, --sampling, --sampling-topk/-topp, --temperature, --seed, --max-tokens,
--batch-size, --buffer-size, --unnormalized); --device and --output-format follow Sockeye's --device-id and
--output-type in spirit (docs/guide.md#decoding-scoring-and-significance)."""
from __future__ import annotations

import argparse
from dataclasses import dataclass

import torch

from unmt.errors import ConfigError

OUTPUT_FORMATS = ("text", "score", "nbest", "json")


@dataclass(frozen=True)
class DecodeOptions:
    """The defaults are the search's behaviour before these options existed: outputs do not change unless asked."""

    beam: int = 1
    nbest: int = 1
    lenpen: float = 1.0  # a finished hypothesis scores log p / (length + 1) ** lenpen (the +1 is its EOS)
    max_len_a: float = 1.5  # each sentence's output length cap: a * (its source + EOS) + b
    max_len_b: int = 5
    min_len: int = 0  # EOS is forbidden before this many output subwords
    no_repeat_ngram_size: int = 0
    sampling: bool = False
    topk: int = 0  # 0: the whole vocabulary
    topp: float = 1.0
    temperature: float = 1.0
    seed: int | None = None

    def check(self) -> "DecodeOptions":
        if self.beam < 1 or self.nbest < 1:
            raise ConfigError("--beam and --nbest must be at least 1")
        if self.sampling:
            if self.beam != 1:
                raise ConfigError("--sampling draws one token at a time: leave --beam at 1 (--nbest N draws N samples)")
            if self.temperature <= 0 or self.topk < 0 or not 0 < self.topp <= 1:
                raise ConfigError(
                    "--sampling needs --temperature > 0, --sampling-topk >= 0 and 0 < --sampling-topp <= 1"
                )
        elif self.nbest > self.beam:
            raise ConfigError(f"--nbest {self.nbest} is larger than --beam {self.beam}: a beam keeps at most its size")
        elif (self.topk, self.topp, self.temperature) != (0, 1.0, 1.0):
            raise ConfigError("--sampling-topk, --sampling-topp and --temperature apply only with --sampling")
        if self.max_len_a < 0 or self.max_len_b < 0 or self.min_len < 0 or self.no_repeat_ngram_size < 0:
            raise ConfigError("--max-len-a, --max-len-b, --min-len and --no-repeat-ngram-size cannot be negative")
        if self.max_len_a == 0 and self.max_len_b == 0:
            raise ConfigError("--max-len-a 0 with --max-len-b 0 would allow no output at all")
        return self


def resolve_device(name: str, engine: str = "torch") -> torch.device:
    """auto: the first CUDA GPU when the engine sees one, else the CPU; cpu, cuda and cuda:N as torch spells them.
    CTranslate2 counts GPUs itself: a CPU build of torch next to a CUDA build of CTranslate2 is common."""
    count = _cuda_devices(engine)
    if name == "auto":
        return torch.device("cuda" if count else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(f"--device {name!r} is not a device: use auto, cpu, cuda or cuda:N") from None
    if device.type not in ("cpu", "cuda"):
        raise ConfigError(f"--device {name!r}: only auto, cpu, cuda and cuda:N are supported")
    if device.type == "cuda":
        if count == 0:
            raise ConfigError(f"--device {name}: {engine} sees no CUDA GPU here (use --device cpu)")
        if device.index is not None and device.index >= count:
            raise ConfigError(f"--device {name}: torch sees only {count} GPU(s), numbered from 0")
    return device


def _cuda_devices(engine: str) -> int:
    if engine == "ctranslate2":
        from unmt.export.ctranslate2 import import_ctranslate2

        return import_ctranslate2().get_cuda_device_count()
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def add_device_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default="auto", help="auto (a GPU when there is one), cpu, cuda or cuda:N")


def add_batching_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--batch-size", type=int, help="sentences per batch (default: 64, or no limit with --max-tokens)"
    )
    parser.add_argument("--max-tokens", type=int, help="source subwords (padding included) per batch")


def add_search_arguments(parser: argparse.ArgumentParser, beam_help: str = "beam size (1 = greedy)") -> None:
    defaults = DecodeOptions()
    parser.add_argument("--beam", type=int, default=defaults.beam, help=beam_help)
    parser.add_argument("--lenpen", type=float, default=defaults.lenpen,
                        help="length penalty: hypotheses rank by log p / (length + 1) ** lenpen (default 1)")
    parser.add_argument(
        "--max-len-a",
        type=float,
        default=defaults.max_len_a,
        help="each sentence's output length cap: a * its source length + b, source with its EOS (default 1.5)",
    )
    parser.add_argument("--max-len-b", type=int, default=defaults.max_len_b, help="see --max-len-a (default 5)")
    parser.add_argument("--min-len", type=int, default=defaults.min_len, help="fewest output subwords (default 0)")
    parser.add_argument("--no-repeat-ngram-size", type=int, default=0, help="forbid repeating an n-gram of this size")


def add_translate_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `unmt translate` beyond the engine and the run."""
    add_search_arguments(parser)
    add_batching_arguments(parser)
    add_device_argument(parser)
    parser.add_argument(
        "--nbest", type=int, default=1, help="hypotheses per line, at most --beam (needs nbest or json)"
    )
    parser.add_argument("--output-format", choices=OUTPUT_FORMATS, default="text",
                        help="text: the best translation; score: SCORE<TAB>TRANSLATION; nbest: LINE<TAB>SCORE<TAB>"
                             "TRANSLATION per hypothesis; json: one object per line with translations and scores")
    parser.add_argument("--sampling", action="store_true", help="sample each next subword instead of searching")
    parser.add_argument("--sampling-topk", type=int, default=0, help="sample among the k likeliest only (0: all)")
    parser.add_argument(
        "--sampling-topp", type=float, default=1.0, help="sample within this probability mass (nucleus)"
    )
    parser.add_argument("--temperature", type=float, default=1.0, help="sampling temperature")
    parser.add_argument("--seed", type=int, help="random seed of --sampling, for reproducible samples")
    parser.add_argument("--buffer-size", type=int,
                        help="lines read before translating (default: 1 when stdin is a terminal, else 1000)")


def options_from_args(args) -> DecodeOptions:
    """The DecodeOptions a parsed command line asks for (flags a command does not have keep their defaults)."""
    defaults = DecodeOptions()
    return DecodeOptions(
        beam=args.beam,
        nbest=getattr(args, "nbest", defaults.nbest),
        lenpen=args.lenpen,
        max_len_a=args.max_len_a,
        max_len_b=args.max_len_b,
        min_len=args.min_len,
        no_repeat_ngram_size=args.no_repeat_ngram_size,
        sampling=getattr(args, "sampling", False),
        topk=getattr(args, "sampling_topk", defaults.topk),
        topp=getattr(args, "sampling_topp", defaults.topp),
        temperature=getattr(args, "temperature", defaults.temperature),
        seed=getattr(args, "seed", None),
    ).check()


def batching_from_args(args) -> tuple[int | None, int | None]:
    """(sentences, tokens) per batch: 64 sentences unless --max-tokens sets a token budget instead."""
    batch_size, max_tokens = args.batch_size, args.max_tokens
    if (batch_size is not None and batch_size < 1) or (max_tokens is not None and max_tokens < 1):
        raise ConfigError("--batch-size and --max-tokens must be at least 1")
    if batch_size is None and max_tokens is None:
        batch_size = 64
    return batch_size, max_tokens
