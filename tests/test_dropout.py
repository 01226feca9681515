"""The CPU dropout with cheaper masks: the same distribution and gradients as torch's, seeded by torch's generator."""
import pytest
import torch
import torch.nn.functional as F

from unmt.models.dropout import Dropout, dropout
from unmt.models.transformer import Transformer, TransformerConfig


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5])
def test_drops_each_element_at_the_rate_and_keeps_the_mean(p):
    torch.manual_seed(0)
    x = torch.ones(400, 1000)
    y = dropout(x, p)
    dropped = (y == 0).float()
    # 400k Bernoulli(p) draws: the standard error of the rate is under 0.001
    assert abs(dropped.mean().item() - p) < 0.004
    assert torch.allclose(y[y != 0], torch.full_like(y[y != 0], 1 / (1 - p)))
    assert abs(y.mean().item() - 1.0) < 0.01
    # rows and columns alike: no slice of the 64-bit draws is biased (a 15-bit draw would leave one slice's sign fixed)
    assert abs(dropped[:, 3::4].mean().item() - p) < 0.006 and abs(dropped[:, 0::4].mean().item() - p) < 0.006


def test_masks_are_independent_across_neighbouring_elements():
    torch.manual_seed(1)
    kept = dropout(torch.ones(1_000_000), 0.5) != 0
    both = (kept[:-1] & kept[1:]).float().mean().item()
    assert abs(both - 0.25) < 0.003


def test_gradient_is_the_mask_times_the_scale():
    torch.manual_seed(2)
    x = torch.randn(64, 33, requires_grad=True)
    weights = torch.randn(64, 33)
    y = dropout(x, 0.25)
    (y * weights).sum().backward()
    kept = y != 0
    assert torch.allclose(x.grad, weights * kept / 0.75)


def test_same_seed_same_mask_and_eval_or_zero_rate_is_identity():
    x = torch.randn(10, 50)
    torch.manual_seed(3)
    first = dropout(x, 0.2)
    torch.manual_seed(3)
    assert torch.equal(first, dropout(x, 0.2))
    assert dropout(x, 0.2, training=False) is x and dropout(x, 0.0) is x
    assert torch.equal(dropout(x, 1.0), torch.zeros_like(x))


def test_works_on_bf16_tensors_and_keeps_the_dtype():
    torch.manual_seed(4)
    x = torch.randn(32, 16, dtype=torch.bfloat16, requires_grad=True)
    y = dropout(x, 0.1)
    assert y.dtype == torch.bfloat16
    y.float().sum().backward()
    assert x.grad.dtype == torch.bfloat16


def test_model_dropout_follows_set_dropout_and_train_mode():
    torch.manual_seed(5)
    model = Transformer(TransformerConfig(vocab_size=50, d_model=16, n_heads=2, ffn_dim=32, dropout=0.0))
    layers = [m for m in model.modules() if isinstance(m, Dropout)]
    assert layers, "the transformer's dropout layers are the cheaper ones"
    src = torch.randint(4, 50, (3, 7))
    mask = torch.ones(3, 7, dtype=torch.bool)
    model.train()
    quiet = model.encode(src, mask)
    assert torch.equal(quiet, model.encode(src, mask))  # rate 0: no randomness
    model.set_dropout(0.3)
    assert all(m.p == 0.3 for m in layers)
    assert not torch.equal(model.encode(src, mask), model.encode(src, mask))
    model.eval()
    assert torch.equal(model.encode(src, mask), model.encode(src, mask))


def test_as_a_module_matches_torch_dropout_in_expectation():
    torch.manual_seed(6)
    x = torch.randn(200, 500)
    ours = torch.stack([Dropout(0.2).train()(x) for _ in range(20)]).mean(0)
    torch_ = torch.stack([F.dropout(x, 0.2) for _ in range(20)]).mean(0)
    # both are unbiased: their means over 20 masks sit equally close to x
    assert abs((ours - x).abs().mean().item() - (torch_ - x).abs().mean().item()) < 0.01
