"""The Pegasus mapping and the tokenizer.json, on untrained models and fresh subword models."""
import pytest
import torch

from unmt.data.toy import generate_toy_corpus
from unmt.data.vocab import EOS, Vocabulary
from unmt.models.transformer import Transformer, TransformerConfig

transformers = pytest.importorskip("transformers")
pytestmark = pytest.mark.slow  # importing transformers' model classes alone takes seconds

from unmt.export.huggingface_model import pegasus_config, pegasus_state, sines_first  # noqa: E402
from unmt.export.huggingface_tokenizer import pretrained_tokenizer  # noqa: E402


@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_pegasus_gives_the_logits_of_unmt_model(activation):
    torch.manual_seed(0)
    config = TransformerConfig(
        vocab_size=60, d_model=32, n_heads=4, ffn_dim=48, activation=activation, max_positions=40
    )
    model = Transformer(config).eval()
    for parameter in model.parameters():  # away from the init (unit norms, zero biases), so that every part counts
        torch.nn.init.normal_(parameter, std=0.3)
    pegasus = transformers.PegasusForConditionalGeneration(transformers.PegasusConfig(**pegasus_config(config, 5)))
    pegasus.load_state_dict(pegasus_state(model), strict=True)
    src = torch.randint(6, 60, (3, 9))
    src[0, 6:] = 0  # a padded row
    tgt = torch.randint(6, 60, (3, 7))
    tgt[:, 0] = 5
    mask = src != 0
    with torch.no_grad():
        ours = model.decode(tgt, model.encode(src, mask), mask)
        theirs = pegasus.eval()(input_ids=src, attention_mask=mask.long(), decoder_input_ids=tgt).logits
    assert ours.abs().max() > 1  # logits of some size, not a model that outputs zeros
    torch.testing.assert_close(theirs, ours, atol=1e-4, rtol=1e-4)


def test_reordered_positions_are_pegasus_own_table():
    config = TransformerConfig(vocab_size=10, d_model=16, max_positions=30)
    ours = Transformer(config).positions[:, sines_first(16)]
    pegasus = transformers.PegasusForConditionalGeneration(transformers.PegasusConfig(**pegasus_config(config, 3)))
    theirs = pegasus.model.encoder.embed_positions.create_weight()
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=0)


@pytest.fixture(scope="module", params=["bpe", "unigram"])
def vocab(request):
    corpus = generate_toy_corpus(n_train=3000, n_valid=10, n_test=200, seed=3)
    return Vocabulary.train({"en": corpus.train_en, "fr": corpus.train_fr}, 300, model_type=request.param)


ODD_LINES = ["", " ", "  two  spaces  ", "tab\there", "ж漢字 unknown ж", "ünïcödé ﬁ ½", "a\u00a0b", "▁lead",
             "Victor, (the) big-boy; paints 3 cars!"]


def test_tokenizer_gives_sentencepiece_ids_and_text(vocab):
    corpus = generate_toy_corpus(n_train=10, n_valid=10, n_test=200, seed=11)
    tokenizer = pretrained_tokenizer(vocab.model_proto, 300)
    for line in corpus.test_en + corpus.test_fr + ODD_LINES:
        ids = tokenizer(line)["input_ids"]
        assert ids == vocab.encode(line) + [EOS], line
        assert tokenizer.decode(ids, skip_special_tokens=True) == vocab.decode(ids), line
    tag = vocab.lang_ids["fr"]
    assert tokenizer.decode([tag, *vocab.encode("le chat"), EOS, 0, 0], skip_special_tokens=True) == "le chat"
    # a model's output can start with lone "▁" pieces, which SentencePiece decodes without leading spaces
    space = vocab.sp.piece_to_id("▁")
    if not vocab.sp.is_unknown(space):
        for ids in ([space, space, *vocab.encode("le chat")], [space, 1, *vocab.encode("le")]):
            assert tokenizer.decode(ids, skip_special_tokens=True) == vocab.decode(ids), ids
