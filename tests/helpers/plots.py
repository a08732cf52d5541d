"""Decoding figures and making data for them (tests/report/plots)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
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


SVG = "{http://www.w3.org/2000/svg}"


def parse_svg(data: bytes) -> ET.Element:
    """The parsed root of an SVG figure; malformed XML or another root fails here."""
    root = ET.fromstring(data)
    assert root.tag == f"{SVG}svg", root.tag
    assert int(root.get("width", "0")) > 0 and int(root.get("height", "0")) > 0
    return root


def svg_texts(root: ET.Element) -> list[str]:
    """Every text drawn in an SVG figure, in order."""
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def decode_any(data: bytes) -> tuple[int, int]:
    """``(width, height)`` of a PNG (decoded) or an SVG figure (parsed)."""
    if data.startswith(b"<svg"):
        root = parse_svg(data)
        return int(root.get("width", "0")), int(root.get("height", "0"))
    size: tuple[int, int] = decode(data).size
    return size


def binary_data(n: int = 2_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(positive, score)``: about 30% positives, scores that separate them somewhat."""
    rng = np.random.default_rng(seed)
    positive = rng.random(n) < 0.3
    score = np.clip(positive * 0.35 + rng.random(n) * 0.65, 0, 1)
    return positive, score
