"""CSV cells a spreadsheet will not run: every CSV that heard writes passes its cells through `safe_cell`.

A cell that starts with = + - @, a tab or a carriage return is read by Excel, LibreOffice and Google
Sheets as a formula (`=HYPERLINK(...)`, `@SUM(...)`), and a call's queue, reason or agent id comes
from whoever produced the input files. Following OWASP's advice on CSV injection, such a string gets a
leading single quote, which spreadsheets show as text. Only strings change: numbers (a negative
sentiment of -0.5 included) stay numbers. JSON Lines and Parquet keep the raw values; spreadsheets
do not open them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """The value, with a leading ' when it is a string a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: Mapping[str, Any]) -> dict[str, object]:
    """`safe_cell` applied to every value of a row."""
    return {key: safe_cell(value) for key, value in row.items()}
