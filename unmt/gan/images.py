"""Handwritten digit images as float tensors (N, 1, H, W) in [-1, 1] (the range of a Tanh generator) with labels.

Three sources:
  - scikit-learn's 8x8 digits (1,797 images, shipped inside scikit-learn, no download);
  - the MNIST test set (10,000 images, 28x28) as the idx gz files of LeCun's site;
  - USPS (7,291 train / 2,007 test, 16x16) as the `usps-zip.*.gz` text files of the ESL book site.
MNIST and USPS are read from a folder the user names (data_scripts/download_digits.sh fills one); nothing is
downloaded here.
"""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from unmt.errors import DataError

MNIST_FILES = ("mnist-t10k-images-idx3-ubyte.gz", "mnist-t10k-labels-idx1-ubyte.gz")
USPS_FILES = {"train": "usps-zip.train.gz", "test": "usps-zip.test.gz"}
DOWNLOAD_HINT = "run data_scripts/download_digits.sh FOLDER to fetch the MNIST and USPS files"


def load_sklearn_digits() -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.tensor(digits.images, dtype=torch.float32)[:, None] / 8.0 - 1.0  # grey levels 0..16
    return images, torch.tensor(digits.target, dtype=torch.long)


def _required(folder: Path, name: str) -> Path:
    if not Path(folder).is_dir():
        raise DataError(f"digits folder {folder} does not exist; {DOWNLOAD_HINT}")
    path = Path(folder) / name
    if not path.is_file():
        raise DataError(f"{path} is missing; {DOWNLOAD_HINT}")
    return path


def _read_idx(path: Path, expected_dims: int) -> np.ndarray:
    """The idx format: 2 zero bytes, a type byte (0x08 = uint8), the number of dims, big-endian int32 sizes."""
    try:
        raw = gzip.open(path, "rb").read()
    except (OSError, EOFError) as error:
        raise DataError(f"{path} is not a readable gzip file ({error})") from None
    if len(raw) < 4 or raw[:3] != b"\x00\x00\x08" or raw[3] != expected_dims:
        raise DataError(f"{path} is not an idx file of uint8 with {expected_dims} dimensions")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(expected_dims))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * expected_dims)
    if data.size != int(np.prod(shape)):
        raise DataError(f"{path} holds {data.size} values but its header promises {shape}")
    return data.reshape(shape)


def load_mnist_test(folder: Path) -> tuple[torch.Tensor, torch.Tensor]:
    images = _read_idx(_required(folder, MNIST_FILES[0]), 3)
    labels = _read_idx(_required(folder, MNIST_FILES[1]), 1)
    if len(images) != len(labels):
        raise DataError(f"MNIST in {folder} has {len(images)} images but {len(labels)} labels")
    tensor = torch.tensor(images, dtype=torch.float32)[:, None] / 127.5 - 1.0
    return tensor, torch.tensor(labels, dtype=torch.long)


def load_usps(folder: Path, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    if split not in USPS_FILES:
        raise DataError(f"USPS split must be train or test, got {split!r}")
    path = _required(folder, USPS_FILES[split])
    try:
        rows = np.loadtxt(path, dtype=np.float32)
    except (OSError, ValueError, EOFError) as error:
        raise DataError(f"{path} is not a USPS file of 257 numbers a line ({error})") from None
    if rows.ndim != 2 or rows.shape[1] != 257:
        raise DataError(f"{path} must have 257 numbers a line (label + 16x16 pixels), got shape {rows.shape}")
    images = torch.tensor(rows[:, 1:]).reshape(-1, 1, 16, 16)
    return images, torch.tensor(rows[:, 0], dtype=torch.long)


def mnist_to_usps_frame(images: torch.Tensor, size: int = 16) -> torch.Tensor:
    """MNIST centres each digit in a 20x20 box inside 28x28; USPS scales the digit to fill its 16x16 frame.
    Cropping MNIST's box before resizing makes the two domains differ in style, not in framing."""
    box = images[:, :, 4:24, 4:24]
    return resize(box, size)


def resize(images: torch.Tensor, size: int) -> torch.Tensor:
    if images.shape[-1] == size:
        return images
    return F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False, antialias=True).clamp(-1, 1)
