"""Transcript text rewritten so the detectors can read numbers the way speech-to-text writes them.

`normalise(text)` lower-cases the text, writes spoken numbers as digits ("four one one one" -> "4 1 1 1",
"double five" -> "55", "oh seven" -> "0 7", "forty two" -> "42", "nineteen eighty four" -> "19 84",
"two thousand and five" -> "2005"), ordinals as "3rd"/"21st", "dash" and "slash" as "-" and "/", drops fillers
("um", "uh"), folds every stretch of white space into one space (or one newline) and turns placeholders such as
"[CARD]" into one opaque mark (MASK), so a redacted text is never read again as personal data.

Every character of the result remembers which characters of the original it came from (`Normalised.source`),
so a span found in the rewritten text maps back to what was really said: the digit "4" maps to the word "four".

"oh" and "o" are a zero only next to another number ("oh seven seven", "double oh", "624 359 oh"). They stay
words alone ("Oh, I see"), between letters ("j o h n"), once before written digits ("columbus oh 43215") and
before "and", "wait", "sorry" ... ("... one two oh and my email is"; the detectors try that "oh" as a zero
too). Fillers glued to letters or digits, or in capitals, are kept ("ER 01 75 53 D", "eh530671b").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from heard.text.spoken import FILLERS

MASK = "█"   # what a placeholder such as "[CARD]" becomes: not a letter, digit, space or joiner

UNITS = {"zero": 0, "nought": 0, "oh": 0, "o": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
         "six": 6, "seven": 7, "eight": 8, "nine": 9}
ZEROS = frozenset({"oh", "o"})   # a zero only when it sits next to another number
TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
         "seventeen": 17, "eighteen": 18, "nineteen": 19}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
        "ninety": 90}
REPEATS = {"double": 2, "triple": 3}
ORDINAL_UNITS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
                 "eighth": 8, "ninth": 9}
ORDINALS = {**ORDINAL_UNITS, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
            "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
            "twentieth": 20, "thirtieth": 30}
SYMBOLS = {"dash": "-", "hyphen": "-", "slash": "/"}
# After these words "oh" is the interjection, not a zero ("... seven one oh and my email is").
NOT_AFTER_ZERO = frozenset("and also wait sorry yeah yes no okay ok right well actually hang hold great".split())

TOKEN = re.compile(r"\[[A-Z][A-Z_]*\]|[^\W\d_]+(?:['’][^\W\d_]+)*|[0-9]+|\S")


@dataclass
class Normalised:
    """The rewritten text; for each of its characters, the original characters it came from (`starts`, `ends`)
    and whether it was written as words (`spoken`)."""

    text: str = ""
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    spoken: list[bool] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)   # the text while it is being built

    def source(self, start: int, end: int) -> tuple[int, int]:
        """The original characters behind the rewritten characters [start, end) (end > start)."""
        return self.starts[start], self.ends[end - 1]

    def add(self, text: str, start: int, end: int, *, spoken: bool = False, exact: bool = False) -> None:
        """Append `text`, which came from original characters [start, end); `exact` maps it one to one."""
        self.parts.append(text)
        for k in range(len(text)):
            if exact:
                self.starts.append(start + k)
                self.ends.append(start + k + 1)
            else:
                self.starts.append(start)
                self.ends.append(end)
            self.spoken.append(spoken)


@dataclass
class _Token:
    text: str     # lower-cased
    start: int
    end: int


@dataclass
class _Piece:
    """What one or more tokens become: `first`..`last` are token indexes."""

    text: str
    first: int
    last: int
    number: bool = False    # digits (written or spoken)
    spoken: bool = False
    zero_word: bool = False  # only "oh"/"o" (or "double oh"): a zero if it touches another number


def _tokens(text: str) -> list[_Token]:
    return [_Token(m.group(0) if m.group(0).startswith("[") else m.group(0).lower(), m.start(), m.end())
            for m in TOKEN.finditer(text)]


def _joined(tokens: list[_Token], i: int, j: int, text: str) -> bool:
    """Whether tokens i and j (j > i) are next to each other as parts of one number word: only spaces between
    them, or one hyphen ("forty-two")."""
    if j >= len(tokens):
        return False
    if j == i + 1:
        return text[tokens[i].end:tokens[j].start].strip(" \t") == ""
    return j == i + 2 and tokens[i + 1].text == "-" and text[tokens[i].end:tokens[j].start].replace(" ", "") == "-"


def _next_word(tokens: list[_Token], i: int, text: str) -> int | None:
    """The index of the word right after token i (a hyphen between is allowed), or None."""
    j = i + 2 if i + 1 < len(tokens) and tokens[i + 1].text == "-" else i + 1
    return j if _joined(tokens, i, j, text) else None


def _below_hundred(tokens: list[_Token], i: int, text: str) -> tuple[int, int] | None:
    """The value (1-99) of "forty two", "forty", "fifteen" or "seven" at token i and its last token index."""
    word = tokens[i].text
    if word in TENS:
        j = _next_word(tokens, i, text)
        if j is not None and tokens[j].text in UNITS and UNITS[tokens[j].text] > 0 and tokens[j].text not in ZEROS:
            return TENS[word] + UNITS[tokens[j].text], j
        return TENS[word], i
    if word in TEENS:
        return TEENS[word], i
    if word in UNITS and word not in ZEROS and UNITS[word] > 0:
        return UNITS[word], i
    return None


def _after_and(tokens: list[_Token], i: int, text: str) -> int | None:
    """The token that continues a number after token i, skipping one "and" ("two thousand and five")."""
    j = _next_word(tokens, i, text)
    if j is not None and tokens[j].text == "and":
        j = _next_word(tokens, j, text)
    return j


def _hundreds(tokens: list[_Token], i: int, text: str) -> tuple[int, int] | None:
    """ "five hundred", "nineteen hundred", "one hundred and ten": the value and the last token's index."""
    lead = _below_hundred(tokens, i, text)
    if lead is None:
        return None
    value, last = lead
    j = _next_word(tokens, last, text)
    if j is None or tokens[j].text != "hundred":
        return None
    total, last = value * 100, j
    k = _after_and(tokens, j, text)
    if k is not None:
        rest = _below_hundred(tokens, k, text)
        # "one hundred and five", "one hundred twenty"; but "eight hundred five five five" is 800 555
        if rest is not None and (tokens[k - 1].text == "and" or tokens[k].text not in UNITS):
            total, last = total + rest[0], rest[1]
    return total, last


def _number(tokens: list[_Token], i: int, text: str) -> _Piece | None:
    """The number that starts at token i, if any, as digits."""
    word = tokens[i].text
    if word.isascii() and word.isdigit():
        return _Piece(word, i, i, number=True)
    if word in REPEATS:
        j = _next_word(tokens, i, text)
        if j is not None and (tokens[j].text in UNITS or (tokens[j].text.isdigit() and len(tokens[j].text) == 1)):
            digit = str(UNITS.get(tokens[j].text, tokens[j].text))
            return _Piece(digit * REPEATS[word], i, j, number=True, spoken=True, zero_word=tokens[j].text in ZEROS)
        return None
    if word in ZEROS:
        j = _next_word(tokens, i, text)
        if j is not None and tokens[j].text in NOT_AFTER_ZERO:
            return None   # "... one oh and another thing" (but "... seven oh, that's my number" is a zero)
        if j is not None and word == "o" and len(tokens[j].text) == 1 and tokens[j].text.isalpha() and \
                tokens[j].text not in UNITS:
            return None   # the letter in "o j 5 9 ..." or "j o h n"
        return _Piece("0", i, i, number=True, spoken=True, zero_word=True)
    if word in ("zero", "nought"):
        return _Piece("0", i, i, number=True, spoken=True)
    lead = _hundreds(tokens, i, text) or _below_hundred(tokens, i, text)
    if lead is None:
        return None
    value, last = lead
    j = _next_word(tokens, last, text)
    if j is not None and tokens[j].text == "thousand":
        total, last = value * 1000, j
        k = _after_and(tokens, j, text)
        if k is not None:
            rest = _hundreds(tokens, k, text) or _below_hundred(tokens, k, text)
            if rest is not None:
                total, last = total + rest[0], rest[1]
        return _Piece(str(total), i, last, number=True, spoken=True)
    if word in UNITS and last == i:
        return _Piece(str(value), i, i, number=True, spoken=True)
    return _Piece(str(value), i, last, number=True, spoken=True)


def _suffix(value: int) -> str:
    if 10 <= value % 100 <= 13:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(value % 10, "th")


def _ordinal(tokens: list[_Token], i: int, text: str) -> _Piece | None:
    """ "third" -> "3rd", "twenty first" -> "21st"."""
    word = tokens[i].text
    if word in TENS:
        j = _next_word(tokens, i, text)
        if j is not None and tokens[j].text in ORDINAL_UNITS:
            value = TENS[word] + ORDINAL_UNITS[tokens[j].text]
            return _Piece(f"{value}{_suffix(value)}", i, j, spoken=True)
        return None
    if word in ORDINALS:
        return _Piece(f"{ORDINALS[word]}{_suffix(ORDINALS[word])}", i, i, spoken=True)
    return None


def _pieces(tokens: list[_Token], text: str) -> list[_Piece]:
    pieces: list[_Piece] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.text.startswith("["):
            pieces.append(_Piece(MASK, i, i))
            i += 1
            continue
        if token.text in FILLERS and not _glued(text, token):
            i += 1
            continue
        piece = _ordinal(tokens, i, text) or _number(tokens, i, text)
        if piece is None and token.text in SYMBOLS:
            piece = _Piece(SYMBOLS[token.text], i, i)
        if piece is None and token.text == "plus" and i + 1 < len(tokens) and _number(tokens, i + 1, text):
            piece = _Piece("+", i, i)
        pieces.append(piece or _Piece(token.text, i, i))
        i = pieces[-1].last + 1
    _words_again(pieces, tokens, text)
    return pieces


def _glued(text: str, token: _Token) -> bool:
    """Whether a filler-looking token is part of something else: "ER 01 75 ..." and "eh530671b" are not "er"
    and "eh"."""
    word = text[token.start:token.end]
    return (len(word) > 1 and word.isupper()) or text[token.start - 1:token.start].isalnum() or \
        text[token.end:token.end + 1].isalnum()


def _words_again(pieces: list[_Piece], tokens: list[_Token], text: str) -> None:
    """Turn "oh"/"o" back into words where no other number touches them (commas and dashes may sit between)."""
    k = 0
    while k < len(pieces):
        if not pieces[k].number:
            k += 1
            continue
        group = [pieces[k]]
        end = k
        while True:
            nxt = end + 1
            while nxt < len(pieces) and pieces[nxt].text in (",", "-"):
                nxt += 1
            if nxt < len(pieces) and pieces[nxt].number and "\n" not in text[tokens[pieces[end].last].end:
                                                                              tokens[pieces[nxt].first].start]:
                group.append(pieces[nxt])
                end = nxt
            else:
                break
        # Alone ("oh, I see") or once before written digits ("columbus oh 43215") "oh" is a word; after them
        # ("624 359 oh") or twice ("oh oh 62 08") it is a zero.
        digits_at = next((j for j, p in enumerate(group) if not p.zero_word), len(group))
        zeros = sum(len(p.text) for p in group[:digits_at])
        if not any(p.spoken and not p.zero_word for p in group) and not any(p.zero_word for p in group[digits_at:]) \
                and (zeros < 2 or digits_at == len(group)):
            for p in group:
                words = [tokens[t].text for t in range(p.first, p.last + 1)]
                p.text, p.number, p.spoken = " ".join(words), False, False
        k = end + 1


def normalise(text: str) -> Normalised:
    """`text` rewritten for the detectors (see the module docstring), with the way back to the original."""
    tokens = _tokens(text)
    out = Normalised()
    previous_end = 0
    for piece in _pieces(tokens, text):
        start, end = tokens[piece.first].start, tokens[piece.last].end
        gap = text[previous_end:start]   # white space and dropped fillers only
        if out.parts and gap:
            out.add("\n" if "\n" in gap else " ", previous_end, start)
        original = text[start:end]
        exact = not piece.number and not piece.spoken and len(piece.text) == len(original)
        out.add(piece.text, start, end, spoken=piece.spoken, exact=exact)
        previous_end = end
    out.text = "".join(out.parts)
    out.parts = []
    return out

