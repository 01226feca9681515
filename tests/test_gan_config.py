"""Configuration validation, clear errors on bad input, and the `gan` command line."""
import argparse
import glob

import pytest

from unmt.config import ConfigError
from unmt.data.corpus import DataError
from unmt.gan.cli import add_gan_parser, main, run_gan
from unmt.gan.config import load_gan_config
from unmt.gan.images import load_mnist_test


@pytest.mark.parametrize("path", sorted(glob.glob("configs/gan_*.yaml")))
def test_every_shipped_gan_config_is_valid(path):
    overrides = ["data.folder=somewhere"] if "mnist" in path or "usps" in path else []
    load_gan_config(path, overrides)


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        (["loss.tipe=minimax"], "unknown config key 'loss.tipe'"),
        (["loss.type=wasserstein"], "weight_clip > 0"),
        (["loss.type=wgan_gp", "loss.weight_clip=0.01"], "replaces clipping"),
        (["model.arch=dcgan"], "model.arch=dcgan needs"),
        (["data.name=mnist"], "data.folder must name"),
        (["train.steps=0"], "train.steps"),
        (["loss.real_label=0.9", "loss.type=hinge"], "real_label < 1 only applies"),
        (["train.batch_size=abc"], "must be of type int"),
    ],
)
def test_bad_settings_raise_one_clear_config_error(overrides, fragment):
    with pytest.raises(ConfigError, match=fragment.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
        load_gan_config("configs/gan_ring.yaml", overrides)


def test_wgan_gp_refuses_a_batch_normalised_critic():
    with pytest.raises(ConfigError, match="d_batch_norm=false"):
        load_gan_config("configs/gan_wgan_digits.yaml", ["loss.type=wgan_gp", "loss.weight_clip=0"])


def test_a_missing_digits_folder_is_one_sentence_naming_the_folder(tmp_path):
    with pytest.raises(DataError, match="does not exist; run data_scripts/download_digits.sh"):
        load_mnist_test(tmp_path / "nowhere")


def test_cli_exits_non_zero_with_a_one_line_error_for_a_missing_folder(tmp_path, capsys):
    code = main([
        "gan", "train", "--config", "configs/gan_cyclegan_mnist_usps.yaml", "--data", str(tmp_path / "absent"),
        "--out", str(tmp_path / "run")
    ])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("unmt gan: error: digits folder") and "absent" in err[-1]


def test_cli_train_sample_evaluate_and_resume(tmp_path, capsys):
    run = tmp_path / "run"
    tiny = [
        "--set", "train.steps=20", "--set", "train.eval_every=10", "--set", "train.eval_samples=200", "--set",
        "model.hidden=16"
    ]
    assert main(["gan", "train", "--config", "configs/gan_ring.yaml", "--out", str(run), *tiny]) == 0
    assert main(["gan", "train", "--config", "configs/gan_ring.yaml", "--out", str(run), *tiny]) == 2  # no overwrite
    assert main(["gan", "sample", "--run", str(run), "--n", "100"]) == 0
    assert (run / "pictures" / "sample-0.png").is_file()
    assert main(["gan", "evaluate", "--run", str(run), "--json", str(tmp_path / "m.json")]) == 0
    assert '"modes_captured"' in (tmp_path / "m.json").read_text()
    longer = [*tiny[:-4], "--set", "train.steps=30", "--set", "model.hidden=16"]
    assert main(["gan", "train", "--config", "configs/gan_ring.yaml", "--out", str(run), "--resume", *longer]) == 0
    assert (run / "latest").read_text().strip() == "step-0000030"
    assert main(["gan", "evaluate", "--run", str(tmp_path / "not-a-run")]) == 2


def test_add_gan_parser_plugs_into_another_parser():
    parser = argparse.ArgumentParser(prog="unmt")
    add_gan_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["gan", "evaluate", "--run", "x"])
    assert args.command == "gan" and args.gan_command == "evaluate"
    assert callable(run_gan)


def test_gan_runs_live_under_the_checkpoints_folder_by_name_and_out_still_works_with_a_warning(
    tmp_path, capsys, caplog
):
    from unmt.cli import main as unmt_main

    tiny = ["--set", "train.steps=4", "--set", "train.eval_every=4", "--set", "train.eval_samples=100",
            "--set", "model.hidden=8"]
    common = ["--checkpoints-dir", str(tmp_path), "gan", "train", "--config", "configs/gan_ring.yaml", *tiny]
    assert unmt_main([*common, "--run", "ring"]) == 0
    assert (tmp_path / "ring" / "latest").read_text().strip() == "step-0000004"
    assert unmt_main([*common, "--run", "ring"]) == 2  # a trained run is never overwritten
    assert unmt_main([*common, "--run", "../elsewhere"]) == 2 and not (tmp_path.parent / "elsewhere").exists()
    assert unmt_main(["--checkpoints-dir", str(tmp_path), "gan", "evaluate", "--run", "ring"]) == 0  # found by name
    assert "--out is deprecated" not in caplog.text
    assert unmt_main([*common, "--out", str(tmp_path / "old")]) == 0
    assert "--out is deprecated" in caplog.text and (tmp_path / "old" / "latest").is_file()


def test_gan_options_lists_every_key_with_its_default(capsys):
    from unmt.gan.config import GanConfig
    from unmt.typed_config import describe

    assert main(["gan", "options"]) == 0
    printed = capsys.readouterr().out
    for record in describe(GanConfig):
        assert f"{record['key']} = " in printed, record["key"]
