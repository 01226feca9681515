"""`unmt import --format fairseq`: a unmt run folder from a fairseq `transformer` checkpoint whose shape fits.

It reads the checkpoint, its dict.<src>.txt / dict.<tgt>.txt and the SentencePiece model, checks every way in which
the model could differ from ours and names all the differences in one refusal. The checks are export's layout read
backwards: pre-norm layers, one width / head count / feed-forward width for encoder and decoder, our sinusoidal
positions stored as a learned table, tied embeddings, and a decoder whose </s> input row is the target language's
tag. Three of them are about values, not shapes (positions, tying, the decoder start): --approximate accepts those,
taking unmt's positions and the encoder's embeddings, and the translations then differ from fairseq's.

A target dictionary smaller than the source one is that language's output restriction (output_tokens.json); the
other language's comes from the opposite direction's folder beside this one (<tgt>-<src>/), as export writes it.
"""
from __future__ import annotations

import logging
from pathlib import Path

import torch

from unmt.data.vocab import EOS, PAD, UNK, Vocabulary
from unmt.export.fairseq_checkpoint import model_arguments, read_checkpoint, task_languages
from unmt.export.fairseq_layout import (
    FAIRSEQ_SPECIALS,
    FS_EOS,
    FS_PAD,
    FS_UNK,
    POSITION_OFFSET,
    fairseq_name,
    read_dictionary,
)
from unmt.export.output_folder import ExportError, atomic_folder
from unmt.models.transformer import Transformer, TransformerConfig, sinusoidal_positions
from unmt.run_layout import BEST, OUTPUT_TOKENS, RUN_INFO, SUBWORD_MODEL
from unmt.translation.model_io import run_info, save_output_masks

log = logging.getLogger("unmt")

TOLERANCE = 1e-6  # values export copied are equal; this only absorbs a float round trip


class Misfits(list):
    """What does not fit, each a short phrase; `values` are those --approximate may accept."""

    def __init__(self):
        super().__init__()
        self.values: list[str] = []


def _dictionary(folder: Path, lang: str, misfits: Misfits) -> list[str] | None:
    path = folder / f"dict.{lang}.txt"
    if not path.is_file():
        misfits.append(f"no dictionary {path}")
        return None
    return read_dictionary(path)


def _check_arguments(args: dict, misfits: Misfits) -> None:
    arch = args.get("_name") or args.get("arch") or "unknown"
    if not str(arch).startswith("transformer") or str(arch).startswith("transformer_lm"):
        misfits.append(f"architecture '{arch}' is not fairseq's transformer encoder-decoder")
        return
    post_norm = [side for side in ("encoder", "decoder") if not args.get(f"{side}_normalize_before", False)]
    if post_norm:
        verb = "normalise" if len(post_norm) == 2 else "normalises"
        misfits.append(f"the {' and '.join(post_norm)} {verb} after each block (post-norm; unmt's layers are pre-norm)")
    for field in ("embed_dim", "ffn_embed_dim", "attention_heads"):
        if args.get(f"encoder_{field}") != args.get(f"decoder_{field}"):
            misfits.append(f"encoder and decoder {field} differ ({args.get(f'encoder_{field}')} and "
                           f"{args.get(f'decoder_{field}')}); unmt has one value for both")
    if args.get("activation_fn", "relu") not in ("relu", "gelu"):
        misfits.append(f"activation {args['activation_fn']} (unmt has relu and gelu)")
    for flag in ("no_scale_embedding", "layernorm_embedding", "adaptive_input", "no_token_positional_embeddings",
                 "cross_self_attention", "no_cross_attention", "no_decoder_final_norm"):
        if args.get(flag):
            misfits.append(f"{flag} is set")
    if args.get("adaptive_softmax_cutoff"):
        misfits.append("an adaptive softmax")
    width = args.get("decoder_embed_dim")
    for field in ("decoder_input_dim", "decoder_output_dim"):
        if args.get(field, width) != width:
            misfits.append(f"{field} {args[field]} differs from the width {width}")
    if args.get("max_source_positions") != args.get("max_target_positions"):
        misfits.append("source and target position limits differ; unmt has one")


FAIRSEQ_DEFAULTS = {  # fairseq's base_architecture, for checkpoints that leave an argument out
    "encoder_embed_dim": 512, "encoder_ffn_embed_dim": 2048, "encoder_attention_heads": 8, "encoder_layers": 6,
    "decoder_layers": 6, "activation_fn": "relu", "dropout": 0.1, "max_source_positions": 1024,
}


def _config(args: dict, vocab_size: int) -> TransformerConfig:
    a = {**FAIRSEQ_DEFAULTS, **{k: v for k, v in args.items() if v is not None}}
    return TransformerConfig(
        vocab_size=vocab_size, d_model=a["encoder_embed_dim"], n_heads=a["encoder_attention_heads"],
        encoder_layers=a["encoder_layers"], decoder_layers=a["decoder_layers"], ffn_dim=a["encoder_ffn_embed_dim"],
        dropout=float(a["dropout"]), activation=a["activation_fn"], max_positions=a["max_source_positions"],
    )


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and bool(torch.allclose(a.float(), b.float(), atol=TOLERANCE, rtol=0))


def _embedding(weights: dict, vocab: Vocabulary, src_symbols: list[str], misfits: Misfits) -> torch.Tensor | None:
    """Our (V, C) embedding from the encoder's rows: fairseq's id of each of our pieces."""
    if "encoder.embed_tokens.weight" not in weights:
        misfits.append("the encoder has no token embeddings")
        return None
    table = weights["encoder.embed_tokens.weight"].float()
    if table.shape[0] != len(FAIRSEQ_SPECIALS) + len(src_symbols):
        size = len(FAIRSEQ_SPECIALS) + len(src_symbols)
        misfits.append(f"the encoder has {table.shape[0]} embeddings for a dictionary of {size}")
        return None
    index = {s: len(FAIRSEQ_SPECIALS) + k for k, s in enumerate(src_symbols)}
    pieces = [vocab.sp.id_to_piece(i) for i in range(len(vocab))]
    missing = [p for i, p in enumerate(pieces) if i not in (PAD, UNK, EOS) and p not in index]
    if missing:
        misfits.append(f"{len(missing)} pieces of the SentencePiece model are not in the source dictionary "
                       f"(e.g. {missing[:3]})")
        return None
    special = {PAD: FS_PAD, UNK: FS_UNK, EOS: FS_EOS}
    return table[[special[i] if i in special else index[p] for i, p in enumerate(pieces)]].clone()


def _check_decoder(weights: dict, embed: torch.Tensor, vocab: Vocabulary, tgt: str, tgt_symbols: list[str],
                   misfits: Misfits) -> torch.Tensor | None:
    """Checks the decoder's rows against our tied embedding; returns the target language's output mask."""
    unknown = [s for s in tgt_symbols if vocab.sp.piece_to_id(s) == UNK]
    if unknown:
        misfits.append(f"{len(unknown)} target dictionary symbols are not SentencePiece pieces (e.g. {unknown[:3]})")
        return None
    ids = [vocab.sp.piece_to_id(s) for s in tgt_symbols]
    if "decoder.embed_tokens.weight" not in weights:
        misfits.append("the decoder has no token embeddings")
        return None
    decoder_in, decoder_out = weights["decoder.embed_tokens.weight"], weights.get("decoder.output_projection.weight")
    decoder_out = decoder_in if decoder_out is None else decoder_out
    first = len(FAIRSEQ_SPECIALS)
    for name, table in (("input", decoder_in), ("output", decoder_out)):
        if table.shape[0] != first + len(ids):
            misfits.append(f"the decoder has {table.shape[0]} {name} embeddings for a dictionary of {first + len(ids)}")
            return None
    if not (_close(decoder_in[first:], embed[ids]) and _close(decoder_out[first:], embed[ids])
            and _close(decoder_out[FS_EOS], embed[EOS])):
        misfits.values.append("the decoder's embeddings are not the encoder's (unmt ties them)")
    if not _close(decoder_in[FS_EOS], embed[vocab.lang_ids[tgt]]):
        tag = vocab.sp.id_to_piece(vocab.lang_ids[tgt])
        misfits.values.append(f"the decoder starts from a </s> row that is not the embedding of {tag} "
                              "(unmt starts from the target language's tag)")
    mask = torch.zeros(len(vocab), dtype=torch.bool)
    mask[ids] = True
    mask[EOS] = True
    mask[UNK] = bool(decoder_out[FS_UNK].abs().sum() > 0)  # export leaves <unk> zero where it is not an output
    return mask


def _check_positions(weights: dict, config: TransformerConfig, misfits: Misfits) -> None:
    ours = sinusoidal_positions(config.max_positions, config.d_model)
    for side in ("encoder", "decoder"):
        table = weights.get(f"{side}.embed_positions.weight")
        if table is None:
            misfits.values.append(f"the {side} uses fairseq's sinusoidal positions (other frequencies than unmt's)")
        elif not _close(table[POSITION_OFFSET : POSITION_OFFSET + config.max_positions], ours):
            misfits.values.append(f"the {side}'s learned positions are not unmt's sinusoidal table")


def _layer_weights(weights: dict, config: TransformerConfig, misfits: Misfits) -> dict[str, torch.Tensor]:
    """Every transformer parameter but the embeddings, under our names; names either side lacks are misfits."""
    expected = {name: fairseq_name(name) for name in Transformer(config).state_dict() if name != "embed.weight"}
    ignored = {"encoder.version", "decoder.version", "encoder.embed_tokens.weight", "decoder.embed_tokens.weight",
               "decoder.output_projection.weight", "encoder.embed_positions.weight", "decoder.embed_positions.weight",
               "encoder.embed_positions._float_tensor", "decoder.embed_positions._float_tensor"}
    missing = sorted(set(expected.values()) - set(weights))
    extra = sorted(set(weights) - set(expected.values()) - ignored)
    if missing:
        misfits.append(f"{len(missing)} parameters unmt needs are absent (e.g. {missing[:3]})")
    if extra:
        misfits.append(f"{len(extra)} parameters have no place in unmt's model (e.g. {extra[:3]})")
    return {ours: weights[theirs] for ours, theirs in expected.items() if theirs in weights}


def _languages(state: dict, data: Path, misfits: Misfits) -> tuple[str, str] | None:
    src, tgt = task_languages(state)
    if src and tgt:
        return src, tgt
    # A checkpoint trained with -s/-t left to fairseq's guess from the data folder names neither.
    found = sorted(p.name.split(".")[1] for p in data.glob("dict.*.txt"))
    misfits.append("the checkpoint does not name its source and target languages"
                   + (f" (dictionaries for {' and '.join(found)} in {data})" if found else ""))
    return None


def _vocabulary(data: Path, languages: tuple[str, str], misfits: Misfits) -> Vocabulary | None:
    path = data / SUBWORD_MODEL
    if not path.is_file():
        misfits.append(f"no SentencePiece model {path}")
        return None
    try:
        return Vocabulary.load(path, languages)
    except Exception as error:  # not a SentencePiece model at all, or one without our language tags
        misfits.append(f"{path} is not a unmt subword model for {'-'.join(languages)} ({error})")
        return None


def _direction_mask(folder: Path, vocab: Vocabulary, src: str, tgt: str) -> torch.Tensor | None:
    """The target language's output restriction read off an exported src->tgt folder, or None if it has none."""
    misfits = Misfits()
    weights = read_checkpoint(folder / "checkpoint.pt")["model"]
    src_symbols, tgt_symbols = read_dictionary(folder / f"dict.{src}.txt"), read_dictionary(folder / f"dict.{tgt}.txt")
    embed = _embedding(weights, vocab, src_symbols, misfits)
    mask = _check_decoder(weights, embed, vocab, tgt, tgt_symbols, misfits) if embed is not None else None
    return None if misfits or src_symbols == tgt_symbols else mask


def _refuse(checkpoint: Path, misfits: Misfits, approximate: bool) -> None:
    if misfits or (misfits.values and not approximate):
        hint = "" if misfits else "; pass --approximate to initialise a run from it anyway"
        raise ExportError(f"{checkpoint} does not fit unmt's model: " + "; ".join(misfits + misfits.values) + hint)
    for difference in misfits.values:
        log.warning("imported approximately: %s", difference)


def import_fairseq(checkpoint: Path, checkpoints_dir: Path, run: str | None = None, data: Path | None = None,
                   approximate: bool = False) -> Path:
    """Checks, then writes checkpoints_dir/<run>; `data` holds the dictionaries and spm.model (default: the
    checkpoint's folder)."""
    data = data or checkpoint.parent
    state = read_checkpoint(checkpoint)
    args, weights = model_arguments(state), state["model"]
    misfits = Misfits()
    _check_arguments(args, misfits)
    languages = _languages(state, data, misfits)
    if languages:
        vocab = _vocabulary(data, languages, misfits)
        src_symbols, tgt_symbols = (_dictionary(data, lang, misfits) for lang in languages)
    _refuse(checkpoint, misfits, approximate)

    src, tgt = languages
    config = _config(args, len(vocab))
    layers = _layer_weights(weights, config, misfits)
    embed = _embedding(weights, vocab, src_symbols, misfits)
    tgt_mask = _check_decoder(weights, embed, vocab, tgt, tgt_symbols, misfits) if embed is not None else None
    _check_positions(weights, config, misfits)
    model = Transformer(config)
    if not misfits:
        try:
            model.load_state_dict({**layers, "embed.weight": embed})
        except RuntimeError:
            misfits.append("parameter shapes differ from those its arguments describe")
    _refuse(checkpoint, misfits, approximate)

    masks = {} if src_symbols == tgt_symbols else {tgt: tgt_mask}
    reverse = data.parent / f"{tgt}-{src}"
    if all((reverse / name).is_file() for name in ("checkpoint.pt", f"dict.{src}.txt", f"dict.{tgt}.txt")):
        reverse_mask = _direction_mask(reverse, vocab, tgt, src)
        if reverse_mask is not None:
            masks[src] = reverse_mask
    return write_run(model, vocab, masks, src, tgt, checkpoints_dir / (run or f"{src}-{tgt}-imported"), checkpoint)


def write_run(
    model: Transformer, vocab: Vocabulary, masks: dict, src: str, tgt: str, run_dir: Path, origin: Path
) -> Path:
    """A run folder `unmt translate` and `unmt evaluate` read: run.json, spm.model, output_tokens.json and one
    checkpoint that `best` and `latest` name (no trainer state: the run starts no training of its own)."""
    from unmt.run_directory import RunDirectory

    with atomic_folder(run_dir) as tmp, RunDirectory(tmp) as directory:
        directory.write_json(RUN_INFO, run_info(model.config, src, tgt, data=""))
        vocab.save(tmp / SUBWORD_MODEL)
        if masks:
            save_output_masks(tmp / OUTPUT_TOKENS, masks)
        weights = {name: t.detach().contiguous() for name, t in model.state_dict().items()}
        saved = directory.save_checkpoint(0, {"model": weights}, {}, {"step": 0, "imported_from": str(origin)})
        directory.point(BEST, saved)
    return run_dir
