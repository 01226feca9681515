"""Standard formats out and in: CTranslate2 and fairseq models written from a run, a run read from fairseq.

The engines are optional extras (`pip install -e ".[export]"`, `".[fairseq]"`): nothing here imports them at
module level, so `unmt` works without them and says which extra to install when a command needs one.
"""
