"""The output restriction's mask: exactly the subwords a corpus uses, over more rows than one Arrow batch."""
import numpy as np

from unmt.data.corpus import MonolingualCorpus, load_text_dataset
from unmt.data.toy import generate_toy_corpus
from unmt.data.vocab import Vocabulary


def test_token_mask_marks_exactly_the_subwords_of_the_corpus(tmp_path, monkeypatch):
    corpus = generate_toy_corpus(n_train=1200, n_valid=1, n_test=1, seed=2)
    vocab = Vocabulary.train({"en": iter(corpus.train_en), "fr": iter(corpus.train_fr)}, 400, "unigram")
    path = tmp_path / "train.fr"
    path.write_text("\n".join(corpus.train_fr) + "\n", encoding="utf-8")
    tokenised = MonolingualCorpus(load_text_dataset(path), vocab, max_len=100)
    used = {t for line in corpus.train_fr for t in vocab.encode(line.strip())}
    real_iter = type(tokenised.dataset).iter
    # batches smaller than the corpus, so the mask must gather over several of them
    monkeypatch.setattr(type(tokenised.dataset), "iter", lambda self, batch_size: real_iter(self, batch_size=250))
    mask = tokenised.token_mask(len(vocab))
    assert mask.dtype == bool and mask.shape == (len(vocab),)
    assert set(np.flatnonzero(mask).tolist()) == used
    assert 0 < len(used) < len(vocab)  # French alone leaves some of the shared vocabulary out
