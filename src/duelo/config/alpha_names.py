"""The names of the transparency choices (data.alpha), kept in the config layer so that the configuration can
check a value without importing the data layer; duelo.data.alpha parses and applies them."""

from __future__ import annotations

import re

KEEP = "keep"
NAMED_BACKGROUNDS: dict[str, tuple[int, int, int]] = {
    "white": (255, 255, 255),
    "black": (0, 0, 0),
    "gray":  (128, 128, 128),       # #808080
}
DEFAULT_ALPHA = "white"
HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
ALPHA_HELP = "white, black, gray, a colour #rrggbb, or keep (RGBA, 4 channels)"


def is_alpha_choice(value: object) -> bool:
    """Is `value` one of the choices above (case-insensitive, surrounding spaces ignored)?"""
    if not isinstance(value, str):
        return False
    text = value.strip().lower()
    return text == KEEP or text in NAMED_BACKGROUNDS or HEX_COLOUR.fullmatch(text) is not None
