"""The shared translation model: one transformer encoder-decoder for both languages.

A standard pre-norm encoder-decoder with sinusoidal positions and input/output embeddings tied, so that
CTranslate2 and fairseq can express it. The target language is the first decoder token (`<2fr>`), which
replaces the usual BOS. The encoder sees no language token, which keeps its states language-agnostic.

Incremental decoding keeps, per decoder layer, the self-attention keys/values of the tokens produced so far
and the cross-attention keys/values of the source (computed once), so each step costs O(T) instead of O(T^2).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from unmt.models.dropout import Dropout


@dataclass
class TransformerConfig:
    """The shape of the model. These defaults are the configuration's too (unmt.config.ModelConfig reads them):
    the demo on the toy corpus."""
    vocab_size: int
    d_model: int = 128  # width of every residual stream
    n_heads: int = 4  # attention heads; d_model must divide evenly
    encoder_layers: int = 2
    decoder_layers: int = 2
    ffn_dim: int = 512  # hidden width of the position-wise feed-forward block
    dropout: float = 0.0
    activation: str = "relu"  # relu | gelu
    max_positions: int = 512  # longest sequence the sinusoidal table covers


LayerCache = dict[str, torch.Tensor]  # self_k, self_v (B, H, t, D) grown per step; cross_k, cross_v fixed


def sinusoidal_positions(n_positions: int, dim: int) -> torch.Tensor:
    position = torch.arange(n_positions, dtype=torch.float32)[:, None]
    frequency = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(n_positions, dim)
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency)
    return table


class Attention(nn.Module):
    def __init__(self, config: TransformerConfig):
        super().__init__()
        assert config.d_model % config.n_heads == 0, "d_model must be a multiple of n_heads"
        self.n_heads = config.n_heads
        self.dropout = config.dropout
        self.q_proj = nn.Linear(config.d_model, config.d_model)
        self.k_proj = nn.Linear(config.d_model, config.d_model)
        self.v_proj = nn.Linear(config.d_model, config.d_model)
        self.out_proj = nn.Linear(config.d_model, config.d_model)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:  # (B, T, C) -> (B, H, T, C/H)
        B, T, C = x.shape
        return x.view(B, T, self.n_heads, C // self.n_heads).transpose(1, 2)

    def forward(self, query, keys_values, mask=None, causal=False, cache=None, prefix=""):
        """`cache` (incremental decoding): for self-attention (prefix "self_") new keys/values are appended;
        for cross-attention (prefix "cross_") they are computed on the first step and reused after."""
        B, T, C = query.shape
        q = self._heads(self.q_proj(query))
        if cache is not None and prefix == "cross_" and "cross_k" in cache:
            k, v = cache["cross_k"], cache["cross_v"]
        else:
            k, v = self._heads(self.k_proj(keys_values)), self._heads(self.v_proj(keys_values))
            if cache is not None:
                if prefix == "self_" and "self_k" in cache:
                    k = torch.cat([cache["self_k"], k], dim=2)
                    v = torch.cat([cache["self_v"], v], dim=2)
                cache[prefix + "k"], cache[prefix + "v"] = k, v
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, is_causal=causal, dropout_p=self.dropout if self.training else 0.0
        )
        return self.out_proj(y.transpose(1, 2).reshape(B, T, C))


class FeedForward(nn.Module):
    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.fc1 = nn.Linear(config.d_model, config.ffn_dim)
        self.fc2 = nn.Linear(config.ffn_dim, config.d_model)
        self.activation = {"relu": F.relu, "gelu": F.gelu}[config.activation]
        self.dropout = Dropout(config.dropout)

    def forward(self, x):
        return self.fc2(self.dropout(self.activation(self.fc1(x))))


class EncoderLayer(nn.Module):
    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.self_attn_norm = nn.LayerNorm(config.d_model)
        self.self_attn = Attention(config)
        self.ffn_norm = nn.LayerNorm(config.d_model)
        self.ffn = FeedForward(config)
        self.dropout = Dropout(config.dropout)

    def forward(self, x, key_mask):
        h = self.self_attn_norm(x)
        x = x + self.dropout(self.self_attn(h, h, mask=key_mask))
        return x + self.dropout(self.ffn(self.ffn_norm(x)))


class DecoderLayer(nn.Module):
    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.self_attn_norm = nn.LayerNorm(config.d_model)
        self.self_attn = Attention(config)
        self.cross_attn_norm = nn.LayerNorm(config.d_model)
        self.cross_attn = Attention(config)
        self.ffn_norm = nn.LayerNorm(config.d_model)
        self.ffn = FeedForward(config)
        self.dropout = Dropout(config.dropout)

    def forward(self, x, memory, memory_mask, cache=None):
        h = self.self_attn_norm(x)
        # During incremental decoding the single query may see every cached key, so no causal mask is needed.
        x = x + self.dropout(self.self_attn(h, h, causal=cache is None, cache=cache, prefix="self_"))
        h = self.cross_attn_norm(x)
        x = x + self.dropout(self.cross_attn(h, memory, mask=memory_mask, cache=cache, prefix="cross_"))
        return x + self.dropout(self.ffn(self.ffn_norm(x)))


class Transformer(nn.Module):
    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.d_model, padding_idx=0)
        nn.init.normal_(self.embed.weight, std=config.d_model**-0.5)
        self.register_buffer("positions", sinusoidal_positions(config.max_positions, config.d_model), persistent=False)
        self.embed_dropout = Dropout(config.dropout)
        self.encoder_layers = nn.ModuleList(EncoderLayer(config) for _ in range(config.encoder_layers))
        self.encoder_norm = nn.LayerNorm(config.d_model)
        self.decoder_layers = nn.ModuleList(DecoderLayer(config) for _ in range(config.decoder_layers))
        self.decoder_norm = nn.LayerNorm(config.d_model)

    def _embed(self, tokens: torch.Tensor, start: int = 0) -> torch.Tensor:  # (B, T) -> (B, T, C)
        T = tokens.shape[1]
        if start + T > self.config.max_positions:
            raise ValueError(f"sequence of {start + T} tokens exceeds max_positions={self.config.max_positions}")
        x = self.embed(tokens) * math.sqrt(self.config.d_model) + self.positions[start : start + T]
        return self.embed_dropout(x)

    def set_dropout(self, rate: float) -> None:
        """Sets every dropout rate of the model in place, for a rate that follows a schedule during training."""
        for module in self.modules():
            if isinstance(module, nn.Dropout):
                module.p = rate
            elif isinstance(module, Attention):
                module.dropout = rate

    @staticmethod
    def attention_mask(pad_mask: torch.Tensor) -> torch.Tensor:
        """(B, S) True at real tokens -> (B, 1, 1, S), broadcast over heads and queries."""
        return pad_mask[:, None, None, :]

    def encode(self, src: torch.Tensor, src_pad_mask: torch.Tensor) -> torch.Tensor:
        """src (B, S) token ids, src_pad_mask (B, S) True at real tokens -> memory (B, S, C)."""
        x = self._embed(src)
        key_mask = self.attention_mask(src_pad_mask)
        for layer in self.encoder_layers:
            x = layer(x, key_mask)
        return self.encoder_norm(x)

    def decode(self, tgt_in: torch.Tensor, memory: torch.Tensor, src_pad_mask: torch.Tensor) -> torch.Tensor:
        """Teacher-forced decoding: tgt_in (B, T) starting with the language tag -> logits (B, T, V)."""
        return self.output_logits(self.decoder_states(tgt_in, memory, src_pad_mask))

    def decoder_states(self, tgt_in: torch.Tensor, memory: torch.Tensor, src_pad_mask: torch.Tensor) -> torch.Tensor:
        """The decoder's final states (B, T, C), before the output layer: a loss may project only the positions it
        scores."""
        x = self._embed(tgt_in)
        memory_mask = self.attention_mask(src_pad_mask)
        for layer in self.decoder_layers:
            x = layer(x, memory, memory_mask)
        return self.decoder_norm(x)

    def output_logits(self, states: torch.Tensor) -> torch.Tensor:
        """(..., C) decoder states -> (..., V) logits through the tied embeddings. F.linear takes the weight
        itself, not its transpose: autocast caches its low-precision copy of a parameter but not of a view, so
        `states @ weight.T` recast the (V, C) table at every decoding step (fp32 results are bit-identical)."""
        return F.linear(states, self.embed.weight)

    def new_cache(self) -> list[LayerCache]:
        return [{} for _ in self.decoder_layers]

    def decode_step(self, token, memory, src_pad_mask, cache: list[LayerCache], step: int) -> torch.Tensor:
        """One incremental step: token (B, 1) at position `step` -> logits (B, V); `cache` is updated in place."""
        x = self._embed(token, start=step)
        memory_mask = self.attention_mask(src_pad_mask)
        for layer, layer_cache in zip(self.decoder_layers, cache):
            x = layer(x, memory, memory_mask, cache=layer_cache)
        return self.output_logits(self.decoder_norm(x))[:, -1]

    @staticmethod
    def reorder_cache(cache: list[LayerCache], order: torch.Tensor) -> list[LayerCache]:
        """Selects batch rows `order` of every cached tensor (beam search keeps the surviving hypotheses)."""
        return [{name: t.index_select(0, order) for name, t in layer.items()} for layer in cache]
