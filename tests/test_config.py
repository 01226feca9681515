import pytest

from unmt.config import Config, ConfigError, changed_settings, changes_since, load_config, to_dict


def test_defaults_and_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("model:\n  d_model: 64\n  n_heads: 2\ntrain:\n  lambda_adv: 0.5\n")
    config = load_config(path, ["train.lr=1e-3", "noise.word_shuffle=2", 'train.lambda_bt="0:0,100:1"'])
    assert config.model.d_model == 64 and config.model.n_heads == 2
    assert config.train.lr == 0.001 and config.noise.word_shuffle == 2
    assert config.train.lambda_adv == "0.5" and config.train.lambda_bt == "0:0,100:1"
    assert config.model.encoder_layers == Config().model.encoder_layers  # untouched default


@pytest.mark.parametrize(
    "overrides, phrase",
    [
        (["model.d_modle=64"], "unknown config key 'model.d_modle'"),
        (["training.lr=1"], "unknown config key 'training'"),
        (["model.d_model=big"], "'model.d_model' must be of type int"),
        (["model.d_model=100", "model.n_heads=3"], "multiple of model.n_heads"),
        (["noise.word_dropout=1.5"], "noise.word_dropout must be in [0, 1)"),
        (["train.lambda_bt=0:1,0:2"], "train.lambda_bt"),
        (["model.dropout=true"], "'model.dropout' must be of type str"),
        (["model.dropout=1.5"], "model.dropout must be in [0, 1) at every step"),
        (["model.dropout=0:0,2000:1"], "model.dropout must be in [0, 1) at every step"),
        (["model.dropout=high"], "model.dropout: cannot read schedule"),
        (["lr"], "--set expects key=value"),
        (["train.bt_from_average=true"], "bt_from_average needs train.weight_average > 0"),
        (["train.precision=fp16"], "train.precision must be fp32 or bf16, got 'fp16'"),
        (["train.lambda_kd=1"], "train.lambda_kd distils teachers' translations: it needs train.bt_teachers"),
        (["train.bt_teachers={run: a}"], "'train.bt_teachers[0]' must be of type str"),
        (["train.bt_teachers=[a]", "train.weight_average=0.9", "train.bt_from_average=true"], "choose one"),
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


def test_one_teacher_may_be_given_without_list_brackets():
    assert load_config(None, ["train.bt_teachers=runs/a"]).train.bt_teachers == ["runs/a"]
    assert load_config(None, ["train.bt_teachers=[runs/a, runs/b]"]).train.bt_teachers == ["runs/a", "runs/b"]


def test_shipped_configs_load():
    from pathlib import Path

    for path in sorted((Path(__file__).parents[1] / "configs").glob("*.yaml")):
        if not path.name.startswith("gan"):
            load_config(path)


def test_toy_config_spells_out_the_defaults():
    from pathlib import Path

    from unmt.config import Config

    assert load_config(Path(__file__).parents[1] / "configs" / "toy.yaml") == Config()


def test_changed_settings_names_every_changed_leaf_and_nothing_else():
    saved = to_dict(load_config(None, []))
    assert changed_settings(saved, saved) == []
    given = to_dict(load_config(None, ["train.mlm_steps=1500", "model.d_model=64"]))
    assert changed_settings(saved, given) == [
        f"model.d_model: {saved['model']['d_model']!r} -> 64",
        f"train.mlm_steps: {saved['train']['mlm_steps']!r} -> 1500",
    ]
    assert changed_settings({"train": {"lr": 0.1}}, {"train": {"lr": 0.1, "seed": 3}}) == ["train.seed: (absent) -> 3"]  # a run saved before the key existed


def test_a_run_saved_before_an_option_existed_counts_it_at_its_default():
    saved = to_dict(load_config(None, []))
    del saved["train"]["bt_from_average"]  # as in a config.yaml written before the option existed
    assert changes_since(saved, load_config(None, [])) == []
    changed = load_config(None, ["train.weight_average=0.9", "train.bt_from_average=true"])
    assert changes_since(saved, changed) == ["train.bt_from_average: False -> True", "train.weight_average: 0.0 -> 0.9"]
    saved["train"]["retired_option"] = 1  # a key since removed: the file is compared as it stands
    assert "train.retired_option: 1 -> (absent)" in changes_since(saved, load_config(None, []))
