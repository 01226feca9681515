"""Soft lexical constraints (back_translation.lexical_bias): a bonus on each source word's lexicon translation
that steers the model's back-translations until the word is out, and nothing else."""
from functools import partial

import pytest
import torch

from unmt.data.toy import generate_toy_corpus
from unmt.data.vocab import EOS, Vocabulary
from unmt.lexicon.induce import translate_word_by_word
from unmt.models.transformer import Transformer, TransformerConfig
from unmt.translation.lexical_bias import LexicalBias
from unmt.translation.search import greedy_search, scored_greedy_search
from unmt.translation.word_swap import WordSwap

VOCAB = 40


def model_and_batch():
    torch.manual_seed(0)
    model = Transformer(TransformerConfig(vocab_size=VOCAB, d_model=16, n_heads=2, encoder_layers=1,
                                          decoder_layers=1, ffn_dim=32)).eval()
    src = torch.randint(5, VOCAB, (2, 6))
    return model, src, torch.ones_like(src, dtype=torch.bool)


def test_the_bonus_is_spent_once_its_token_is_out_and_other_rows_decode_as_before():
    model, src, mask = model_and_batch()
    plain = scored_greedy_search(model, src, mask, 3, max_len=8)
    favoured = [t for t in range(5, VOCAB) if all(t not in ids for _, ids in plain)][:2]
    bias = torch.zeros(2, VOCAB)
    bias[0, favoured] = 100.0  # far above any logit: each is chosen as soon as it is allowed, once
    steered = scored_greedy_search(model, src, mask, 3, max_len=8, bias=bias)
    assert sorted(steered[0][1][:2]) == sorted(favoured)  # without spending, the first would be chosen again
    assert steered[1] == plain[1]  # the other row's output and its score
    assert bias[0, favoured].tolist() == [100.0, 100.0]  # the caller's tensor is left as given


def test_the_score_is_the_models_not_the_bonus():
    model, src, mask = model_and_batch()
    bias = torch.zeros(2, VOCAB)
    bias[:, 7] = 100.0
    (score, ids), _ = scored_greedy_search(model, src, mask, 3, max_len=8, bias=bias)
    forced = torch.cat([torch.tensor([3]), torch.tensor(ids)])
    memory = model.encode(src[:1], mask[:1])
    cache, total = model.new_cache(), 0.0
    for step, token in enumerate(forced[:-1].tolist()):
        logits = model.decode_step(torch.tensor([[token]]), memory, mask[:1], cache, step)
        total += torch.log_softmax(logits.float(), -1)[0, forced[step + 1]].item()
    if len(ids) < 8:  # ended by its EOS, which the score includes
        logits = model.decode_step(forced[-1:].view(1, 1), memory, mask[:1], cache, len(ids))
        total += torch.log_softmax(logits.float(), -1)[0, EOS].item()
    assert score == pytest.approx(total, abs=1e-4)
    assert greedy_search(model, src, mask, 3, max_len=8, bias=bias)[0] == ids


def test_each_source_words_translation_gets_the_bonus_on_its_first_subword():
    corpus = generate_toy_corpus(n_train=600, seed=0)
    vocab = Vocabulary.train({"en": iter(corpus.train_en), "fr": iter(corpus.train_fr)}, 300, "unigram")
    lexicon = {"dog": "chien", "cat": "chat"}
    words = WordSwap({"fr": partial(translate_word_by_word, lexicon=lexicon)}, vocab)
    bias = LexicalBias(words, vocab, 2.5)([vocab.encode("the dog sees the cat ."), vocab.encode("the bus .")],
                                          ["fr", "fr"], torch.device("cpu"))
    expected = {vocab.encode("chien")[0], vocab.encode("chat")[0]}
    assert set(bias[0].nonzero().squeeze(1).tolist()) == expected and set(bias[0][list(expected)].tolist()) == {2.5}
    assert not bias[1].any()  # no word of the second sentence is in the lexicon
