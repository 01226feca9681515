"""unmt's transformer as a stock `transformers` Pegasus model: the same computation, weights renamed and channels
permuted.

Pegasus is the architecture that computes exactly what unmt.models.transformer computes: pre-norm layers with a
final layer norm after each stack, no layer norm on the embeddings, token embeddings scaled by sqrt(d_model) and
tied to the output layer (whose extra `final_logits_bias` stays zero), biases on every projection, LayerNorm eps
1e-5, sinusoidal positions counted from 0 with unmt's frequencies 10000^(-2i/d). The one difference is the layout
of those positions: unmt interleaves sines and cosines (channel 2i sine, 2i+1 cosine of frequency i), Pegasus puts
every sine first and every cosine after. Reordering the channels of the whole residual stream the same way
(embeddings, positions, layer norms, and each projection's side that reads or writes the stream) gives a model
whose every hidden state is the same vector with its channels reordered; layer norm does not depend on channel
order, and the logits, a dot product with the reordered embeddings, are unchanged. The attention heads' own
channels are not touched.
"""
from __future__ import annotations

import torch

from unmt.data.vocab import EOS, PAD
from unmt.models.transformer import Transformer, TransformerConfig

# Projections that read the residual stream (their input channels are reordered) and those that write it (their
# output channels and biases are reordered); cross-attention keys/values read the encoder's output, also a stream.
READS_STREAM = ("q_proj", "k_proj", "v_proj", "fc1")
WRITES_STREAM = ("out_proj", "fc2")
# unmt parameter name inside a layer -> Pegasus name inside a layer
LAYER_NAMES = {
    "self_attn_norm": "self_attn_layer_norm",
    "self_attn": "self_attn",
    "cross_attn_norm": "encoder_attn_layer_norm",
    "cross_attn": "encoder_attn",
    "ffn_norm": "final_layer_norm",
    "ffn.fc1": "fc1",
    "ffn.fc2": "fc2",
}
TOP_NAMES = {"encoder_norm": "model.encoder.layer_norm", "decoder_norm": "model.decoder.layer_norm"}


def sines_first(dim: int) -> torch.Tensor:
    """Pegasus channel j holds unmt channel order[j]: the even (sine) channels, then the odd (cosine) ones."""
    return torch.cat([torch.arange(0, dim, 2), torch.arange(1, dim, 2)])


def pegasus_config(config: TransformerConfig, decoder_start: int) -> dict:
    """The keyword arguments of transformers.PegasusConfig for a unmt model whose decoder starts at `decoder_start`."""
    return {
        "vocab_size": config.vocab_size,
        "d_model": config.d_model,
        "encoder_layers": config.encoder_layers,
        "decoder_layers": config.decoder_layers,
        "encoder_attention_heads": config.n_heads,
        "decoder_attention_heads": config.n_heads,
        "encoder_ffn_dim": config.ffn_dim,
        "decoder_ffn_dim": config.ffn_dim,
        "activation_function": config.activation,  # "relu" | "gelu": torch's exact GELU in both
        "max_position_embeddings": config.max_positions,
        "scale_embedding": True,
        "dropout": 0.0,
        "attention_dropout": 0.0,
        "activation_dropout": 0.0,
        "pad_token_id": PAD,
        "eos_token_id": EOS,
        "forced_eos_token_id": None,  # unmt lets a translation run to the length limit without forcing </s>
        "decoder_start_token_id": decoder_start,
        "tie_word_embeddings": True,
    }


def _layer_tensor(suffix: str, tensor: torch.Tensor, order: torch.Tensor) -> tuple[str, torch.Tensor]:
    """(unmt name inside a layer) -> (Pegasus name inside a layer, the tensor with stream channels reordered)."""
    module, kind = suffix.rsplit(".", 1)  # e.g. "self_attn.q_proj", "weight"
    for ours, theirs in LAYER_NAMES.items():
        if module == ours or module.startswith(ours + "."):
            name = theirs + module[len(ours):]
            break
    else:
        raise KeyError(f"no Pegasus name for layer parameter {suffix}")
    projection = module.rsplit(".", 1)[-1]
    if name.endswith("layer_norm"):
        tensor = tensor[order]
    elif projection in READS_STREAM and kind == "weight":
        tensor = tensor[:, order]
    elif projection in WRITES_STREAM:
        tensor = tensor[order]  # weight rows or bias entries
    return f"{name}.{kind}", tensor


def pegasus_state(model: Transformer) -> dict[str, torch.Tensor]:
    """The state dict of transformers.PegasusForConditionalGeneration computing what `model` computes."""
    config = model.config
    order = sines_first(config.d_model)
    weights = {name: t.detach().float().cpu() for name, t in model.state_dict().items()}
    embed = weights.pop("embed.weight")[:, order]
    positions = model.positions[: config.max_positions].detach().float().cpu()[:, order]
    state = {
        "model.shared.weight": embed,
        "model.encoder.embed_tokens.weight": embed,
        "model.decoder.embed_tokens.weight": embed,
        "lm_head.weight": embed,
        "model.encoder.embed_positions.weight": positions,
        "model.decoder.embed_positions.weight": positions.clone(),
        "final_logits_bias": torch.zeros(1, config.vocab_size),
    }
    for name, tensor in weights.items():
        if name.split(".")[0] in TOP_NAMES:
            top, kind = name.split(".")
            state[f"{TOP_NAMES[top]}.{kind}"] = tensor[order]
            continue
        stack, index, suffix = name.split(".", 2)  # e.g. encoder_layers, 0, self_attn.q_proj.weight
        side = {"encoder_layers": "encoder", "decoder_layers": "decoder"}[stack]
        theirs, tensor = _layer_tensor(suffix, tensor, order)
        state[f"model.{side}.layers.{index}.{theirs}"] = tensor
    return {name: tensor.contiguous() for name, tensor in state.items()}
