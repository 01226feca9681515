"""A run's SentencePiece model as a `tokenizers` tokenizer.json that `PreTrainedTokenizerFast` loads: the same
ids as unmt.data.vocab.Vocabulary.encode, and the same text back from them.

SentencePiece's steps are rebuilt one by one from the model's own settings:
  - normalisation: its compiled character map (NFKC for unmt's models), then, as SentencePiece does, spaces at
    either end removed, runs of spaces made one, spaces written as "▁", and "▁" put in front of the text;
  - segmentation: for a BPE model, merges ranked by the score of the piece they make (SentencePiece merges the
    best-scored piece first, leftmost on ties), unknown characters fused into one <unk>; for a unigram model, the
    same pieces and scores under Viterbi;
  - <pad>, </s>, <blank> and the language tags are special tokens, so that decoding with skip_special_tokens
    drops them as unmt does. The one difference: text that itself contains one of these strings, where the
    tokenizer sees the special token and SentencePiece other pieces (or, for <blank> and the tags, the same piece
    with a "▁" before it);
  - the encoder's input ends with </s>, as unmt's does;
  - decoding: "▁" back to spaces, the leading one dropped, <unk> shown as SentencePiece shows it.
"""
from __future__ import annotations

from sentencepiece import sentencepiece_model_pb2

from unmt.data.vocab import EOS, PAD, UNK
from unmt.export.output_folder import ExportError

NORMAL, USER_DEFINED = 1, 4  # SentencePiece's piece types
UNIGRAM, BPE = 1, 2  # SentencePiece's model types
UNK_SURFACE = " \u2047 "  # how SentencePiece decodes <unk>
LEADING_SPACES_DROPPED = 1 << 20  # as many as any output can start with


def _bpe_merges(pieces) -> list[tuple[str, str]]:
    """Every (left, right) pair of normal pieces that makes a normal piece, best-scored result first."""
    normal = {p.piece: (p.score, i) for i, p in enumerate(pieces) if p.type == NORMAL}
    ranked = []
    for piece, (score, index) in normal.items():
        for cut in range(1, len(piece)):
            left, right = piece[:cut], piece[cut:]
            if left in normal and right in normal:
                ranked.append((-score, index, left, right))
    return [(left, right) for _, _, left, right in sorted(ranked)]


def build_tokenizer(model_proto: bytes):
    """A tokenizers.Tokenizer that encodes and decodes as the SentencePiece model `model_proto` does."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, processors

    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(model_proto)
    pieces, spec = proto.pieces, proto.normalizer_spec
    if proto.trainer_spec.byte_fallback:
        raise ExportError("the run's SentencePiece model uses byte fallback, which the export does not rebuild")
    if proto.trainer_spec.model_type == BPE:
        vocab = {p.piece: i for i, p in enumerate(pieces)}
        model = models.BPE(vocab=vocab, merges=_bpe_merges(pieces), unk_token=pieces[UNK].piece, fuse_unk=True)
    elif proto.trainer_spec.model_type == UNIGRAM:
        model = models.Unigram([(p.piece, p.score) for p in pieces], unk_id=UNK)
    else:
        raise ExportError("only BPE and unigram SentencePiece models can be exported")
    tokenizer = Tokenizer(model)

    steps = []
    if spec.precompiled_charsmap:
        steps.append(normalizers.Precompiled(spec.precompiled_charsmap))
    if spec.remove_extra_whitespaces:  # spaces only: SentencePiece leaves other whitespace to the character map
        steps += [normalizers.Replace(Regex(r"\A +| +\z"), ""), normalizers.Replace(Regex(" {2,}"), " ")]
    if spec.escape_whitespaces:
        steps.append(normalizers.Replace(" ", "\u2581"))
    if spec.add_dummy_prefix:
        steps.append(normalizers.Prepend("\u2581"))
    tokenizer.normalizer = normalizers.Sequence(steps)

    whole = [p.piece for p in pieces if p.type == USER_DEFINED]
    special = [pieces[PAD].piece, pieces[EOS].piece, *whole]
    tokenizer.add_special_tokens([AddedToken(piece, special=True, normalized=False) for piece in special])
    eos = pieces[EOS].piece
    tokenizer.post_processor = processors.TemplateProcessing(single=f"$A {eos}", pair=f"$A {eos} $B {eos}",
                                                             special_tokens=[(eos, EOS)])
    tokenizer.decoder = decoders.Sequence([
        decoders.Replace(pieces[UNK].piece, UNK_SURFACE),
        decoders.Fuse(),
        # SentencePiece drops every "\u2581" before the first visible piece, not only the dummy prefix's one (an
        # output can start with lone "\u2581" pieces), and keeps the space <unk>'s surface starts with.
        decoders.Strip(content="\u2581", left=LEADING_SPACES_DROPPED if spec.add_dummy_prefix else 0, right=0),
        decoders.Replace("\u2581", " "),
    ])
    return tokenizer


def pretrained_tokenizer(model_proto: bytes, max_input_tokens: int):
    """The transformers PreTrainedTokenizerFast around build_tokenizer, ready for save_pretrained."""
    from transformers import PreTrainedTokenizerFast

    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(model_proto)
    return PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(model_proto),
        pad_token=proto.pieces[PAD].piece,
        eos_token=proto.pieces[EOS].piece,
        model_max_length=max_input_tokens,
        clean_up_tokenization_spaces=False,  # SentencePiece's text as it is: no space removed before punctuation
    )
