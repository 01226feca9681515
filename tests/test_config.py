"""The sectioned configuration: typed keys with bounds and choices, schedules parsed at load, old key names read
with a warning, cross-field rules, changes against a saved run, and the option reference generated from help."""
import logging
import re
from pathlib import Path

import pytest

from unmt.config import RENAMED, Config, ConfigError, changed_settings, changes_since, load_config, to_dict
from unmt.schedules import PiecewiseLinear
from unmt.typed_config import describe, options_markdown, options_summary

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_and_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("model:\n  d_model: 64\n  n_heads: 2\nlosses:\n  adv: 0.5\n")
    config = load_config(path, ["optim.lr=1e-3", "noise.word_shuffle=2", 'losses.bt="0:0,100:1"'])
    assert config.model.d_model == 64 and config.model.n_heads == 2
    assert config.optim.lr == 0.001 and config.noise.word_shuffle == 2
    # schedules are parsed once, when the configuration is read
    assert isinstance(config.losses.bt, PiecewiseLinear) and config.losses.bt(50) == pytest.approx(0.5)
    assert config.losses.adv(10_000) == 0.5
    assert config.model.encoder_layers == Config().model.encoder_layers  # untouched default


@pytest.mark.parametrize(
    "overrides, phrase",
    [
        (["model.colour=blue"], "unknown config key 'model.colour'"),
        (["nosuch.key=1"], "unknown config key 'nosuch'"),
        (["model.d_model=big"], "'model.d_model' must be of type int"),
        (["model.d_model=100", "model.n_heads=3"], "multiple of model.n_heads"),
        (["noise.word_dropout=1.5"], "'noise.word_dropout' must be below 1"),
        (["losses.bt=0:1,0:2"], "losses.bt"),
        (["model.dropout=true"], "cannot read schedule"),
        (["model.dropout=1.5"], "'model.dropout' must be below 1"),
        (["model.dropout=0:0,2000:1"], "'model.dropout' must be below 1, got 1"),
        (["model.dropout=high"], "cannot read schedule"),
        (["lr"], "--set expects key=value"),
        (["runtime.max_minutes=-5"], "'runtime.max_minutes' must be at least 0"),
        (["runtime.max_steps=0"], "'runtime.max_steps' must be at least 1"),
        (["back_translation.from_average=true"], "from_average needs optim.weight_average > 0"),
        (["runtime.precision=fp16"], "'runtime.precision' must be one of fp32, bf16, auto, got 'fp16'"),
        (["data.vocab_type=word"], "'data.vocab_type' must be one of bpe, unigram"),
        (["noise.word_translate=0.1", "back_translation.word_by_word_steps=0"], "needs back_translation.word_by_word"),
        (["back_translation.lexical_bias=2", "back_translation.word_by_word_steps=0"], "lexical_bias steers"),
        (["back_translation.lexical_bias=-1"], "'back_translation.lexical_bias' must be at least 0"),
        (["losses.kd=1"], "losses.kd distils teachers' translations: it needs back_translation.teachers"),
        (["back_translation.teachers={run: a}"], "'back_translation.teachers[0]' must be of type str"),
        (
            ["back_translation.teachers=[a]", "optim.weight_average=0.9", "back_translation.from_average=true"],
            "choose one",
        ),
        (["train.colour=blue"], "unknown config key 'train.colour'"),
        (["train.lr=0.1", "optim.lr=0.2"], "both 'train.lr' and its new name 'optim.lr'"),
    ],
)
def test_bad_configuration_is_one_clear_error(overrides, phrase):
    with pytest.raises(ConfigError) as error:
        load_config(None, overrides)
    assert phrase in str(error.value)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    bad.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="must hold sections"):
        load_config(bad)


def test_old_flat_train_keys_still_work_for_one_release_with_a_warning(caplog, tmp_path):
    path = tmp_path / "old.yaml"
    path.write_text("train:\n  lr: 0.002\n  lambda_bt: '0:0,10:1'\n  eval_every: 7\n  restrict_output: false\n")
    with caplog.at_level(logging.WARNING, logger="unmt"):
        config = load_config(path, ["train.seed=5"])
    assert config.optim.lr == 0.002 and config.losses.bt(10) == 1.0 and config.evaluation.every == 7
    assert config.runtime.seed == 5 and config.data.restrict_output is False
    assert "'train.lr' is now 'optim.lr'" in caplog.text and "'train.seed' is now 'runtime.seed'" in caplog.text


def test_every_renamed_key_lands_on_an_existing_key():
    known = {r["key"] for r in describe(Config)}
    assert set(RENAMED.values()) <= known


def test_one_teacher_may_be_given_without_list_brackets():
    assert load_config(None, ["back_translation.teachers=runs/a"]).back_translation.teachers == ["runs/a"]
    assert load_config(None, ["back_translation.teachers=[runs/a, runs/b]"]).back_translation.teachers == [
        "runs/a",
        "runs/b",
    ]


def test_shipped_configs_load_and_carry_no_measured_results():
    for path in sorted((ROOT / "configs").glob("*.yaml")):
        if not path.name.startswith("gan"):
            load_config(path)
        comments = " ".join(line.split("#", 1)[1] for line in path.read_text().splitlines() if "#" in line)
        assert not re.search(r"\bBLEU\b|\d+\.\d+ */ *\d+\.\d+", comments), f"{path.name} cites results in its comments"


def test_toy_config_spells_out_the_defaults():
    assert load_config(ROOT / "configs" / "toy.yaml") == Config()


def test_model_defaults_have_one_source():
    from unmt.models.transformer import TransformerConfig

    model = Config().model
    for key in ("d_model", "n_heads", "encoder_layers", "decoder_layers", "ffn_dim", "activation"):
        assert getattr(model, key) == getattr(TransformerConfig(vocab_size=10), key)
    assert model.dropout(0) == TransformerConfig(vocab_size=10).dropout


def test_every_key_has_help_and_the_readme_reference_is_generated_from_it():
    records = describe(Config)
    assert all(r["help"] for r in records) and len(records) > 50
    begin, end = "<!-- options:begin -->\n", "<!-- options:end -->"
    for name, render, flag in (
        ("README.md", options_summary, "--summary"),
        ("docs/options.md", options_markdown, "--markdown"),
    ):
        text = (ROOT / name).read_text(encoding="utf-8")
        assert begin in text and end in text, f"{name} lost its option-reference markers"
        generated = text.split(begin, 1)[1].split(end, 1)[0]
        assert generated == render(Config), (
            f"{name}'s option reference is stale: regenerate it with `unmt options {flag}`"
        )
    assert all(f"`{r['key'].rsplit('.', 1)[1]}=" in options_summary(Config) for r in records)  # every key in the README


def test_changed_settings_names_every_changed_leaf_and_nothing_else():
    saved = to_dict(load_config(None, []))
    assert changed_settings(saved, saved) == []
    given = to_dict(load_config(None, ["pretraining.mlm_steps=1500", "model.d_model=64"]))
    assert changed_settings(saved, given) == [
        f"model.d_model: {saved['model']['d_model']!r} -> 64",
        f"pretraining.mlm_steps: {saved['pretraining']['mlm_steps']!r} -> 1500",
    ]
    assert changed_settings({"optim": {"lr": 0.1}}, {"optim": {"lr": 0.1, "warmup_steps": 3}}) == [
        "optim.warmup_steps: (absent) -> 3"
    ]


def test_a_run_saved_before_an_option_existed_or_under_old_names_is_compared_fairly():
    saved = to_dict(load_config(None, []))
    del saved["back_translation"]["from_average"]  # as in a config.yaml written before the option existed
    assert changes_since(saved, load_config(None, [])) == []
    changed = load_config(None, ["optim.weight_average=0.9", "back_translation.from_average=true"])
    assert changes_since(saved, changed) == [
        "back_translation.from_average: False -> True",
        "optim.weight_average: 0.0 -> 0.9",
    ]
    old_style = {"train": {"lr": 0.5}}  # a config.yaml of a run trained before the sections
    assert changes_since(old_style, load_config(None, ["optim.lr=0.5"])) == []
    saved["pretraining"]["retired_option"] = 1  # a key since removed: the file is compared as it stands
    assert "pretraining.retired_option: 1 -> (absent)" in changes_since(saved, load_config(None, []))
