"""Decoding figures and making data for them (tests/report/plots)."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from mlci.data.profile import profile_frame

MAX_BYTES = 80_000  # "about 50 KB" each, with room for busy data


def profile_column(values: pd.Series) -> dict[str, Any]:
    """The profile mlci stores for one column."""
    return profile_frame(pd.DataFrame({"x": values}))["columns"]["x"]


def decode(png: bytes) -> Image.Image:
    """The decoded image; a truncated or corrupt file fails here."""
    image = Image.open(io.BytesIO(png))
    image.load()  # decodes every pixel: a truncated or corrupt file raises here
    return image


def binary_data(n: int = 2_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(positive, score)``: about 30% positives, scores that separate them somewhat."""
    rng = np.random.default_rng(seed)
    positive = rng.random(n) < 0.3
    score = np.clip(positive * 0.35 + rng.random(n) * 0.65, 0, 1)
    return positive, score
