"""A run as a CTranslate2 model, filled in through CTranslate2's specification API (no converter, no fairseq).

The layout CTranslate2 expects differs from ours in three places, handled here:
  - self-attention takes one fused query/key/value projection, cross-attention a query projection and a fused
    key/value one;
  - its built-in sinusoidal table concatenates sines and cosines, ours interleaves them, so ours is stored as the
    position table;
  - the decoder normally starts from a fixed token; ours starts from the target language's tag, so the model is
    saved without a start token and every request passes the tag as the target prefix.

OUT/ holds CTranslate2's model.bin, config.json and shared_vocabulary.json, plus spm.model, output_tokens.json
(when the run restricts each language's outputs) and unmt.json (languages, position limit, origin), which
unmt.export.ct2_translator reads.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch

from unmt.data.vocab import EOS, UNK, Vocabulary
from unmt.export.model_card import both_directions, run_facts, write_card
from unmt.export.output_folder import ExportError, atomic_folder
from unmt.export.run_model import load_run_model
from unmt.models.transformer import Transformer
from unmt.run_layout import OUTPUT_TOKENS, SUBWORD_MODEL

QUANTIZATIONS = ("float32", "int8", "int8_float32", "int16", "float16", "bfloat16", "int8_float16", "int8_bfloat16")
METADATA = "unmt.json"
LAYER_NORM_EPSILON = 1e-5  # torch.nn.LayerNorm's default, which the model uses


def import_ctranslate2():
    try:
        import ctranslate2
    except ImportError:
        raise ExportError(
            'CTranslate2 is not installed: pip install -e ".[export]" (or pip install ctranslate2)'
        ) from None
    return ctranslate2


def _linear(spec, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
    spec.weight = weight.numpy()
    if bias is not None:
        spec.bias = bias.numpy()


def _norm(spec, w: dict, name: str) -> None:
    spec.gamma, spec.beta = w[f"{name}.weight"].numpy(), w[f"{name}.bias"].numpy()


def _projections(w: dict, name: str, parts: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The weights and biases of e.g. parts="qkv" stacked as one projection (CTranslate2 fuses them)."""
    weight = torch.cat([w[f"{name}.{p}_proj.weight"] for p in parts])
    bias = torch.cat([w[f"{name}.{p}_proj.bias"] for p in parts])
    return weight, bias


def _fill_self_attention(spec, w: dict, prefix: str) -> None:
    _norm(spec.layer_norm, w, f"{prefix}.self_attn_norm")
    _linear(spec.linear[0], *_projections(w, f"{prefix}.self_attn", "qkv"))
    _linear(spec.linear[1], w[f"{prefix}.self_attn.out_proj.weight"], w[f"{prefix}.self_attn.out_proj.bias"])


def _fill_feed_forward(spec, w: dict, prefix: str) -> None:
    _norm(spec.layer_norm, w, f"{prefix}.ffn_norm")
    _linear(spec.linear_0, w[f"{prefix}.ffn.fc1.weight"], w[f"{prefix}.ffn.fc1.bias"])
    _linear(spec.linear_1, w[f"{prefix}.ffn.fc2.weight"], w[f"{prefix}.ffn.fc2.bias"])


def transformer_spec(model: Transformer, vocab: Vocabulary):
    """A ctranslate2.specs.TransformerSpec holding the model's weights (float32; quantised on save)."""
    import_ctranslate2()
    from ctranslate2.specs import common_spec
    from ctranslate2.specs import transformer_spec as ts

    c = model.config
    activation = {"relu": common_spec.Activation.RELU, "gelu": common_spec.Activation.GELU}[c.activation]
    spec = ts.TransformerSpec.from_config(
        (c.encoder_layers, c.decoder_layers), c.n_heads, pre_norm=True, activation=activation
    )
    w = {name: t.detach().float().cpu().contiguous() for name, t in model.state_dict().items()}
    embed = w["embed.weight"]
    positions = model.positions[: c.max_positions].detach().float().cpu().numpy()

    encoder, decoder = spec.encoder, spec.decoder
    encoder.embeddings[0].weight = embed.numpy()
    encoder.position_encodings.encodings = positions
    for i, layer in enumerate(encoder.layer):
        _fill_self_attention(layer.self_attention, w, f"encoder_layers.{i}")
        _fill_feed_forward(layer.ffn, w, f"encoder_layers.{i}")
    _norm(encoder.layer_norm, w, "encoder_norm")

    decoder.embeddings.weight = embed.numpy()
    decoder.position_encodings.encodings = positions
    for i, layer in enumerate(decoder.layer):
        prefix = f"decoder_layers.{i}"
        _fill_self_attention(layer.self_attention, w, prefix)
        cross = layer.attention
        _norm(cross.layer_norm, w, f"{prefix}.cross_attn_norm")
        _linear(cross.linear[0], w[f"{prefix}.cross_attn.q_proj.weight"], w[f"{prefix}.cross_attn.q_proj.bias"])
        _linear(cross.linear[1], *_projections(w, f"{prefix}.cross_attn", "kv"))
        _linear(cross.linear[2], w[f"{prefix}.cross_attn.out_proj.weight"], w[f"{prefix}.cross_attn.out_proj.bias"])
        _fill_feed_forward(layer.ffn, w, prefix)
    _norm(decoder.layer_norm, w, "decoder_norm")
    decoder.projection.weight = embed.numpy()  # tied: CTranslate2 aliases equal arrays when it saves

    pieces = [vocab.sp.id_to_piece(i) for i in range(len(vocab))]
    spec.register_source_vocabulary(pieces)
    spec.register_target_vocabulary(pieces)
    config = spec.config
    config.unk_token, config.eos_token = pieces[UNK], pieces[EOS]
    config.bos_token = pieces[EOS]  # never added (add_source_bos is off); the field must name a known token
    config.decoder_start_token = None  # the target prefix (the language tag) starts every decoding
    config.add_source_eos = True  # the encoder was trained on sentences ending in EOS
    config.layer_norm_epsilon = LAYER_NORM_EPSILON
    return spec


def export_ctranslate2(run_dir: Path, out: Path, quantization: str = "float32", which: str = "best") -> Path:
    if quantization not in QUANTIZATIONS:
        raise ExportError(f"unknown quantization '{quantization}'; choose one of {', '.join(QUANTIZATIONS)}")
    run = load_run_model(run_dir, which)
    spec = transformer_spec(run.model, run.vocab)
    with atomic_folder(out) as tmp:
        spec.validate()
        spec.optimize(quantization=quantization)
        spec.save(str(tmp))
        run.vocab.save(tmp / SUBWORD_MODEL)
        if (run_dir / OUTPUT_TOKENS).is_file():
            shutil.copyfile(run_dir / OUTPUT_TOKENS, tmp / OUTPUT_TOKENS)
        metadata = {
            "format": "ctranslate2",
            "quantization": quantization,
            "src": run.info["src"],
            "tgt": run.info["tgt"],
            "languages": run.languages,
            "max_positions": run.model.config.max_positions,
            "exported_from": str(run_dir),
            "data": run.info.get("data", ""),
        }
        (tmp / METADATA).write_text(json.dumps(metadata, indent=1), encoding="utf-8")
        facts = run_facts(run_dir, which)
        write_card(tmp, facts, "ctranslate2", both_directions(facts), str(out))
    return out
