"""Masked-LM pretraining: the masking recipe, the encoder-to-decoder copy, and a tiny run that learns."""
import json

import numpy as np
import pytest
import torch

from tests.conftest import TINY
from unmt.cli import main
from unmt.data.vocab import PAD
from unmt.models.transformer import Transformer, TransformerConfig
from unmt.translation.mlm import copy_encoder_into_decoder_, mask_tokens
from unmt.translation.schedule import inverse_sqrt_schedule

pytestmark = pytest.mark.slow  # the learning and fault tier: `python -m pytest -m "not slow"` skips it

MASK = 3


def test_masking_follows_the_80_10_10_recipe_and_keeps_the_rest():
    rng = np.random.default_rng(0)
    rows = [list(range(10, 10 + int(n))) for n in rng.integers(1, 30, size=2000)]
    pool = np.array([500, 501, 502])
    inputs, targets = mask_tokens(rows, [pool] * len(rows), 0.15, MASK, rng)
    chosen = blank = replaced = kept = 0
    for row, source, target in zip(rows, inputs, targets):
        assert len(source) == len(target) == len(row)
        assert any(t != PAD for t in target)  # no sentence goes without a prediction
        for original, seen, wanted in zip(row, source, target):
            if wanted == PAD:
                assert seen == original  # positions not chosen are left alone
                continue
            assert wanted == original
            chosen += 1
            blank += seen == MASK
            replaced += seen in pool
            kept += seen == original
    total = sum(len(r) for r in rows)
    assert 0.15 <= chosen / total <= 0.20  # 15%, plus the one forced choice in very short rows
    assert abs(blank / chosen - 0.8) < 0.03 and abs(replaced / chosen - 0.1) < 0.03 and abs(kept / chosen - 0.1) < 0.03


def test_the_decoder_starts_from_the_encoders_self_attention_and_feed_forward_weights():
    model = Transformer(
        TransformerConfig(vocab_size=50, d_model=16, n_heads=2, encoder_layers=2, decoder_layers=2, ffn_dim=32)
    )
    cross_before = {k: v.clone() for k, v in model.decoder_layers[0].cross_attn.state_dict().items()}
    first_weight = lambda layer: next(iter(layer.ffn.parameters()))  # noqa: E731
    assert not torch.equal(first_weight(model.encoder_layers[0]), first_weight(model.decoder_layers[0]))  # random init
    copy_encoder_into_decoder_(model)
    for encoder_layer, decoder_layer in zip(model.encoder_layers, model.decoder_layers):
        for name in ("self_attn", "self_attn_norm", "ffn", "ffn_norm"):
            mine, theirs = getattr(decoder_layer, name).state_dict(), getattr(encoder_layer, name).state_dict()
            assert all(torch.equal(mine[k], theirs[k]) for k in mine)
    assert all(torch.equal(v, cross_before[k]) for k, v in model.decoder_layers[0].cross_attn.state_dict().items())


def test_pretraining_lowers_the_masked_lm_loss_then_hands_over_to_unmt(tmp_path):
    args = ["--quiet", "--checkpoints-dir", str(tmp_path), "train", "--src", "en", "--tgt", "fr", "--run", "mlm", *TINY]
    assert (
        main([
            *args, "--max-steps", "60", "--set", "pretraining.mlm_steps=40", "--set", "runtime.threads=1", "--set",
            "pretraining.init_embeddings=random", "--set", "evaluation.every=20", "--set", "optim.warmup_steps=5",
            "--set", "optim.lr=0.005", "--set", "losses.bt=0:0,15:0,16:1"
        ])
        == 0
    )
    records = [json.loads(line) for line in (tmp_path / "mlm" / "metrics.jsonl").read_text().splitlines()]
    by_step = {r["step"]: r for r in records if "loss" in r}
    assert all("mlm" in by_step[s] and "ae_en" not in by_step[s] for s in (10, 20, 30, 40))
    assert by_step[40]["mlm"] < by_step[10]["mlm"] - 0.3  # it learns to fill in the blanks
    assert by_step[40]["mlm_accuracy"] > by_step[10]["mlm_accuracy"]
    # After pretraining, UNMT proper: denoising from step 41, and the loss schedules count from there, so
    # back-translation (weight 0 until UNMT step 16) first shows in the steps 51-60.
    assert "ae_en" in by_step[50] and "mlm" not in by_step[50] and "bt_en_fr" not in by_step[50]
    assert "bt_en_fr" in by_step[60]
    # Checkpoints during pretraining (steps 20, 40) are saved but not evaluated: there is no decoder to judge yet.
    assert [r["step"] for r in records if r["kind"] == "eval"] == [60]


def test_the_learning_rate_warms_up_again_when_unmt_starts_after_pretraining():
    def rates(restart_at):
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        schedule = inverse_sqrt_schedule(optimizer, warmup=10, restart_at=restart_at)
        seen = []
        for _ in range(150):
            seen.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            schedule.step()
        return seen

    plain, restarted = rates(0), rates(100)
    assert restarted[:100] == plain[:100]  # pretraining follows the usual warm-up and decay
    assert restarted[99] < 0.35 and restarted[100] == plain[0] == 0.1  # decayed, then back to the first warm-up rate
    assert restarted[100:] == plain[:50] and max(restarted[100:]) == 1.0
