"""The `unmt gan` command: train, sample and evaluate GANs. Wired into unmt.cli by `add_gan_parser` and
`run_gan`; also runnable alone as `python -m unmt.gan.cli ...`."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import torch

from unmt.checkpoint import load_json
from unmt.errors import USER_ERRORS
from unmt.run_directory import latest_checkpoint, load_nets
from unmt.run_layout import CLASSIFIERS, GAN_CONFIG, PICTURES
from unmt.typed_config import ConfigError, from_dict


def add_gan_parser(subparsers) -> argparse.ArgumentParser:
    gan = subparsers.add_parser("gan", help="train, sample and evaluate GANs (2-D mixtures, digits, CycleGAN)")
    commands = gan.add_subparsers(dest="gan_command", required=True)

    train = commands.add_parser("train", help="train a GAN described by a YAML config")
    train.add_argument("--config", type=Path, required=True, help="YAML file, e.g. configs/gan_ring.yaml")
    train.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override a config key, e.g. loss.type=wgan_gp"
    )
    train.add_argument(
        "--run", "--run-name", dest="run", help="run name under --checkpoints-dir (default: gan-<data>-<loss>-<time>)"
    )
    train.add_argument("--out", type=Path, help=argparse.SUPPRESS)  # the run folder itself; deprecated for --run
    train.add_argument("--data", help="folder with the MNIST/USPS files (sets data.folder)")
    train.add_argument(
        "--resume", action="store_true", help="continue the run named by --run from its latest checkpoint"
    )
    train.add_argument("--max-steps", type=int, help="stop after this many generator steps")

    sample = commands.add_parser("sample", help="draw samples (or translations) from a trained run as a PNG")
    sample.add_argument("--run", type=Path, required=True, help="the run's name or folder")
    sample.add_argument("--n", type=int, default=64, help="number of samples (default 64)")
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--png", type=Path, help="output file (default: <run>/pictures/sample-<seed>.png)")
    sample.add_argument("--data", help="MNIST/USPS folder, if it moved since training")

    evaluate = commands.add_parser("evaluate", help="compute a trained run's metrics")
    evaluate.add_argument("--run", type=Path, required=True, help="the run's name or folder")
    evaluate.add_argument("--json", type=Path, help="also write the metrics to this file")
    evaluate.add_argument("--data", help="MNIST/USPS folder, if it moved since training")
    options = commands.add_parser(
        "options", help="every configuration key of `unmt gan train`, with its default and help"
    )
    options.add_argument("--markdown", action="store_true", help="as a Markdown table")
    return gan


def _run_folder(args) -> Path:
    """--run of sample and evaluate: a folder, or a run's name under --checkpoints-dir as `gan train --run` gives it."""
    return args.run if args.run.is_dir() else getattr(args, "checkpoints_dir", Path("checkpoints")) / args.run


def _trained(run_dir: Path, data_folder: str | None):
    """(config, networks with the latest weights, data) of a finished or interrupted run."""
    from unmt.gan.build import build_nets
    from unmt.gan.config import GanConfig, validate_gan_config
    from unmt.gan.datasets import load_gan_data

    checkpoint = latest_checkpoint(run_dir, GAN_CONFIG)
    values = load_json(run_dir / GAN_CONFIG)
    if data_folder:  # the digits moved since training
        values["data"]["folder"] = data_folder
    config = from_dict(GanConfig, values)
    validate_gan_config(config)
    nets = build_nets(config)
    load_nets(checkpoint, nets)
    return config, nets, load_gan_data(config, torch.Generator().manual_seed(config.train.seed))


def cmd_train(args) -> int:
    from unmt.distributed import world_from_environment
    from unmt.gan.config import load_gan_config
    from unmt.gan.train import GanRun
    from unmt.train_command import choose_run_folder, positive, train_in_run_folder

    overrides = list(args.set) + ([f"data.folder={args.data}"] if args.data else [])
    config = load_gan_config(args.config, overrides)
    positive("--max-steps", args.max_steps)
    if args.out is not None:
        logging.getLogger("unmt.gan").warning("--out is deprecated and will be removed: runs live under "
                                              "--checkpoints-dir, named by --run")
    if args.resume and not (args.run or args.out):
        raise ConfigError("--resume needs --run naming the GAN run to continue")
    world = world_from_environment()
    checkpoints_dir = getattr(args, "checkpoints_dir", Path("checkpoints"))
    prefix = f"gan-{config.data.name}-{config.loss.type}"
    return train_in_run_folder(
        world, lambda: choose_run_folder(world, checkpoints_dir, args.run, prefix, args.resume, args.out),
        lambda directory: GanRun(config, directory, resume=args.resume, world=world).run(args.max_steps))


def cmd_sample(args) -> int:
    from unmt.gan import pictures
    from unmt.gan.datasets import MixtureData
    from unmt.gan.evaluate import evaluating, generate

    if args.n < 1:
        raise ConfigError("--n must be at least 1")
    args.run = _run_folder(args)
    config, nets, data = _trained(args.run, args.data)
    png = args.png or args.run / PICTURES / f"sample-{args.seed}.png"
    rng = torch.Generator().manual_seed(args.seed)
    with evaluating(nets):
        if "generator" not in nets:
            x = data.x_eval[0][: args.n]
            pictures.translation_rows(x, nets["g"](x), nets["f"](nets["g"](x)), png, "X->Y")
        elif isinstance(data, MixtureData):
            pictures.scatter_samples(generate(nets["generator"], args.n, rng), data.modes, png, f"{args.n} samples")
        else:
            pictures.image_grid(generate(nets["generator"], args.n, rng), png, f"{args.n} samples")
    print(png)
    return 0


def cmd_evaluate(args) -> int:
    from unmt.gan.evaluate import evaluate_run

    args.run = _run_folder(args)
    config, nets, data = _trained(args.run, args.data)
    result = evaluate_run(nets, data, config.train.eval_samples, args.run / CLASSIFIERS, config.train.seed)
    text = json.dumps({"run": str(args.run), **result}, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text)
    return 0


def cmd_options(args) -> int:
    from unmt.gan.config import GanConfig
    from unmt.typed_config import options_markdown, options_text

    print((options_markdown if args.markdown else options_text)(GanConfig), end="")
    return 0


COMMANDS = {"train": cmd_train, "sample": cmd_sample, "evaluate": cmd_evaluate, "options": cmd_options}


def run_gan(args) -> int:
    """Runs a parsed `gan` command; a user mistake prints one line on stderr and returns 2."""
    try:
        return COMMANDS[args.gan_command](args)
    except USER_ERRORS as error:
        print(f"unmt gan: error: {error}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="unmt")
    add_gan_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="unmt: %(message)s", stream=sys.stderr)
    return run_gan(args)


if __name__ == "__main__":
    sys.exit(main())
