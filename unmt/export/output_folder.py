"""Writing a whole output folder or nothing: built under a temporary name beside it, renamed when complete."""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from safetensors import SafetensorError

from unmt.checkpoint import CheckpointError


class ExportError(CheckpointError):
    """A request export or import cannot carry out: one sentence, exit status 2 (a user error like a bad run)."""


def check_output_folder(out: Path) -> None:
    """Refuses an output that would overwrite something: a file, or a folder that is not empty."""
    if (out.exists() or out.is_symlink()) and not out.is_dir():
        raise ExportError(f"{out} is a file; give the path of a new or empty folder")
    if out.is_dir() and any(out.iterdir()):
        raise ExportError(f"{out} already exists and is not empty; give a new or empty folder")


@contextmanager
def atomic_folder(out: Path) -> Iterator[Path]:
    """Yields a temporary folder beside `out`; when the block ends without an error it becomes `out`, otherwise
    it is deleted, so a failed export leaves nothing half-written."""
    check_output_folder(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
    except OSError as error:
        raise ExportError(
            f"cannot write to {out.parent} ({error.strerror}); choose a folder you can write to"
        ) from None
    try:
        yield tmp
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; an exported model is meant to be shared
        os.replace(tmp, out)  # replaces an empty folder of that name, never a full one (checked above)
    except (OSError, SafetensorError) as error:  # a full disk, a lost permission: nothing half-written stays
        shutil.rmtree(tmp, ignore_errors=True)
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error).splitlines()[0][:200]
        raise ExportError(
            f"could not write {out} ({reason}); nothing was left behind: free space and export again"
        ) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
