"""The mistakes a user can make, which every command answers with one sentence and exit code 2.

Only the project's own error types are caught as user errors: a ValueError or KeyError from a bug in the code
must surface as a traceback, not pass for a bad option."""


class UserError(Exception):
    """Base of every error a user can act on (configuration, data, run folders, a diverged run), as opposed to a
    bug. Its message is one sentence that says what is wrong and what to do."""


USER_ERRORS = (UserError,)


class ConfigError(UserError):
    """A configuration key, value or combination that cannot work, named in the message."""


class DataError(UserError):
    """Input files (corpora, dictionaries, vectors) that are missing, empty or malformed; the message names them."""
