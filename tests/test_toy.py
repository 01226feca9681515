from unmt.data.toy import ADJECTIVES, NAMES, NOUNS, generate_toy_corpus


def test_monolingual_sides_share_no_pair_and_test_is_held_out():
    corpus = generate_toy_corpus(n_train=3000, n_valid=50, n_test=200, seed=0)
    assert len(corpus.train_en) == len(corpus.train_fr) == 3000
    assert not set(corpus.train_en) & set(corpus.test_en)
    assert not set(corpus.train_fr) & set(corpus.test_fr)
    # No training sentence is the translation of a sentence on the other side: the French side of every
    # English training sentence (drawn by the same grammar) is absent from the French training side.
    fr_of_test = dict(zip(corpus.test_en, corpus.test_fr))
    assert all(fr_of_test[en] not in set(corpus.train_fr) for en in corpus.test_en)


def test_grammar_has_french_word_order_and_agreement():
    corpus = generate_toy_corpus(n_train=10, n_valid=1, n_test=2000, seed=1)
    pairs = list(zip(corpus.test_en, corpus.test_fr))
    after_noun = [
        (f" {adj[0]} {noun[0]} ", f" {noun[2]} {adj[2 if noun[4] == 'f' else 1]} ")
        for adj in ADJECTIVES
        for noun in NOUNS
    ]
    assert any(e in f" {en} " and f in f" {fr} " for en, fr in pairs for e, f in after_noun)  # adjective after the noun
    assert any(" cats " in en and " chats " in fr for en, fr in pairs)
    assert all(not ("the cats" in en and "le chats" in fr) for en, fr in pairs)  # determiner agreement
    assert any("do not" in en and "pas" in fr for en, fr in pairs)
    for en, fr in pairs:  # names and numerals are the shared anchors: the same strings on both sides
        en_names = {w.removesuffix("'s") for w in en.split()} & set(NAMES)
        assert en_names == {w for w in fr.split() if w in NAMES}
        assert sorted(w for w in en.split() if w.isdigit()) == sorted(w for w in fr.split() if w.isdigit())


def test_generation_is_deterministic_per_seed():
    a = generate_toy_corpus(n_train=100, n_valid=5, n_test=5, seed=3)
    b = generate_toy_corpus(n_train=100, n_valid=5, n_test=5, seed=3)
    c = generate_toy_corpus(n_train=100, n_valid=5, n_test=5, seed=4)
    assert a == b and a.train_en != c.train_en
