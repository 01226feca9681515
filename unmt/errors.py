"""The mistakes a user can make, which every command answers with one sentence and exit code 2."""
from unmt.adversarial.trainer import NonFiniteLossError
from unmt.checkpoint import CheckpointError
from unmt.config import ConfigError
from unmt.data.corpus import DataError

USER_ERRORS = (ConfigError, DataError, CheckpointError, NonFiniteLossError, FileNotFoundError, ValueError)
