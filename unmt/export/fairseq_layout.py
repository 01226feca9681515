"""How our model's pieces sit in a fairseq `transformer`: parameter names, dictionaries, positions, arguments.

Shared by the exporter and the importer, so that import is exactly export read backwards.

fairseq's Dictionary puts <s>, <pad>, </s>, <unk> at ids 0-3 and dict.txt's entries after them; ours has <pad>,
<unk>, </s> at 0-2 and then every other piece, so rows are permuted between the two. fairseq's learned position
table starts at padding_idx + 1 (= 2); its sinusoidal one uses other frequencies than ours, so the export stores
ours as a learned table.
"""
from __future__ import annotations

import re

import torch

from unmt.data.vocab import EOS, PAD, UNK, Vocabulary
from unmt.export.output_folder import ExportError

FAIRSEQ_SPECIALS = ("<s>", "<pad>", "</s>", "<unk>")
FS_BOS, FS_PAD, FS_EOS, FS_UNK = range(4)
POSITION_OFFSET = FS_PAD + 1  # fairseq's first position row
OURS_FOR_FS_SPECIAL = {FS_PAD: PAD, FS_EOS: EOS, FS_UNK: UNK}  # fairseq's <s> has no counterpart: a zero row

_RENAMES = [  # (our pattern, fairseq replacement), applied in order to every parameter name but the embeddings
    (r"^encoder_layers\.(\d+)\.", r"encoder.layers.\1."),
    (r"^decoder_layers\.(\d+)\.", r"decoder.layers.\1."),
    (r"\.self_attn_norm\.", ".self_attn_layer_norm."),
    (r"\.cross_attn_norm\.", ".encoder_attn_layer_norm."),
    (r"\.cross_attn\.", ".encoder_attn."),
    (r"\.ffn_norm\.", ".final_layer_norm."),
    (r"\.ffn\.(fc[12])\.", r".\1."),
    (r"^encoder_norm\.", "encoder.layer_norm."),
    (r"^decoder_norm\.", "decoder.layer_norm."),
]


def fairseq_name(name: str) -> str:
    for pattern, replacement in _RENAMES:
        name = re.sub(pattern, replacement, name)
    return name


def dictionary_pieces(vocab: Vocabulary, allowed: torch.Tensor | None = None) -> list[int]:
    """Our ids listed in a dict.txt, in order (fairseq ids 4, 5, ...): every piece but the three specials that
    fairseq has itself, or only those of `allowed` ((V,) bool) when the dictionary is one language's outputs."""
    ids = range(len(vocab)) if allowed is None else allowed.nonzero().squeeze(1).tolist()
    return [i for i in ids if i not in (PAD, UNK, EOS)]


def write_dictionary(path, vocab: Vocabulary, ids: list[int]) -> None:
    # The count column is only read for sorting by fairseq-preprocess; 1 for every piece.
    path.write_text("".join(f"{vocab.sp.id_to_piece(i)} 1\n" for i in ids), encoding="utf-8")


def read_dictionary(path) -> list[str]:
    """A dict.txt's symbols in order (fairseq ids 4, 5, ...): each line is `symbol count [#fairseq:overwrite]`."""
    symbols = []
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ExportError(f"{path} is not UTF-8 text (byte {error.start}): not a fairseq dictionary") from None
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.rstrip().rsplit(" ", 1)
        if len(fields) == 2 and fields[1] == "#fairseq:overwrite":
            fields = fields[0].rsplit(" ", 1)
        if len(fields) != 2 or not fields[1].lstrip("-").isdigit():
            raise ExportError(f"line {number} of {path} is not `symbol count`: not a fairseq dictionary")
        symbols.append(fields[0])
    return symbols


def fairseq_rows(weight: torch.Tensor, ids: list[int], unk: bool = True) -> torch.Tensor:
    """(V_ours, C) -> (4 + len(ids), C): the rows of a fairseq dictionary; <s> (and <unk> when `unk` is False,
    an output the language may not use) get zero rows."""
    out = torch.zeros(len(FAIRSEQ_SPECIALS) + len(ids), weight.shape[1], dtype=weight.dtype)
    for fs_id, our_id in OURS_FOR_FS_SPECIAL.items():
        if fs_id != FS_UNK or unk:
            out[fs_id] = weight[our_id]
    out[len(FAIRSEQ_SPECIALS):] = weight[ids]
    return out


def learned_positions(table: torch.Tensor) -> torch.Tensor:
    """Our (P, C) sinusoidal table as fairseq's learned one: (P + 2, C), rows 0-1 unused (zero)."""
    return torch.cat([torch.zeros(POSITION_OFFSET, table.shape[1], dtype=table.dtype), table])


def model_args(config, src: str, tgt: str) -> dict:
    """cfg.model of the checkpoint, in fairseq's flat `transformer` argument names (fairseq's base_architecture
    fills in every argument not given)."""
    side = lambda prefix: {  # noqa: E731
        f"{prefix}_embed_dim": config.d_model,
        f"{prefix}_ffn_embed_dim": config.ffn_dim,
        f"{prefix}_layers": getattr(config, f"{prefix}_layers"),
        f"{prefix}_attention_heads": config.n_heads,
        f"{prefix}_normalize_before": True,
        f"{prefix}_learned_pos": True,
    }
    return {
        "_name": "transformer",
        "arch": "transformer",
        **side("encoder"),
        **side("decoder"),
        "decoder_output_dim": config.d_model,
        "decoder_input_dim": config.d_model,
        "activation_fn": config.activation,
        "dropout": 0.0,
        "attention_dropout": 0.0,
        "activation_dropout": 0.0,
        # Untied: the decoder's input row for </s> is the target language's tag, its output row </s>'s own.
        "share_all_embeddings": False,
        "share_decoder_input_output_embed": False,
        "no_scale_embedding": False,
        "layernorm_embedding": False,
        "no_token_positional_embeddings": False,
        "no_decoder_final_norm": False,
        "cross_self_attention": False,
        "adaptive_softmax_cutoff": None,
        "max_source_positions": config.max_positions,
        "max_target_positions": config.max_positions,
        "source_lang": src,
        "target_lang": tgt,
    }
