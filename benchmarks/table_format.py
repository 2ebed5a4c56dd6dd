"""The number and markdown formatting the table renderers share (table_renderers.py and the per-task modules):
`half_up` rounds as a person rounds the number a JSON file shows (tables first written by hand), `fixed` as
Python prints it (tables a script printed)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def half_up(value: float, digits: int) -> str:
    """`value` rounded half up at `digits` decimals, as a person rounds the number the JSON file shows."""
    return str(Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def fixed(value: float, digits: int) -> str:
    return f"{value:.{digits}f}"


def thousands(value: float) -> str:
    return f"{int(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP)):,}"


def bold(text: str, flag: bool = True) -> str:
    return f"**{text}**" if flag else text


def markdown(header: list[str], rows: list[list[str]]) -> str:
    def line(cells: list[str]) -> str:
        return "|" + "|".join(f" {cell} " if cell else " " for cell in cells) + "|"

    return "\n".join([line(header), "|" + "---|" * len(header), *map(line, rows)])
