"""A small toy run that translates (BLEU about 10 after 200 steps, half a minute), trained once per test session
for the export tests, which compare engines on real translations rather than on an untrained model's noise."""
from pathlib import Path

from unmt.cli import main

SMALL = [
    # Old key names: they are read both before and after the configuration was re-sectioned.
    "--set", "data.toy_sentences=5000",
    "--set", "model.d_model=64",
    "--set", "model.ffn_dim=256",
    "--set", "train.eval_every=200",
    "--set", "train.eval_sentences=50",
    "--set", "train.threads=1",
]
_trained: dict[str, Path] = {}


def trained_toy_run(tmp_path_factory) -> Path:
    if "run" not in _trained:
        checkpoints = tmp_path_factory.mktemp("export_toy")
        code = main(["--quiet", "--checkpoints-dir", str(checkpoints), "train", "--src", "en", "--tgt", "fr",
                     "--run", "toy", "--max-steps", "200", *SMALL])
        assert code == 0
        _trained["run"] = checkpoints / "toy"
    return _trained["run"]
