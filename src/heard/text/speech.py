"""When each party is actually speaking: intervals from word timings where they exist, else from turns.

Pure helpers shared by the timing, overlap and sentiment analysers. Intervals are (start, end)
pairs in seconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Literal

from heard.model import Call, Role, Turn

Interval = tuple[float, float]
# The two parties as plain names for per-turn loops: in Python 3.11 each `Role.AGENT` goes through an enum
# descriptor, about 0.4 µs, which the analysers paid several times per turn.
AGENT, CUSTOMER, OTHER = Role.AGENT, Role.CUSTOMER, Role.OTHER
TOKEN = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")


STOPWORDS = frozenset(
    "a an and are as at be been being but by can could did do does doing for from had has have having he her "
    "here hers him his how i i'd i'll i'm i've if in into is it it's its just me my no not now of off on once "
    "only or our out over own same she should so some such than that that's the their them then there these they "
    "this those through to too under until up very was we we're were what when where which while who whom why "
    "will with would you you'd you'll you're you've your yours yes yeah okay ok oh um uh well right really so "
    "just also get got going go let let's me"
    .split()
)


def content_words(text: str) -> set[str]:
    """Word stems that carry content: tokens of three letters or more, stopwords dropped, cut to five letters."""
    return {t[:5] for t in tokens(text) if len(t) >= 3 and t not in STOPWORDS}


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens ("I'm" stays one token)."""
    return [t.lower() for t in TOKEN.findall(text)]


def word_count(turn: Turn) -> int:
    """Words as Amazon counts them: recognised word items when present, else whitespace tokens."""
    return len(turn.words) if turn.words else len(turn.text.split())


def turn_speech(turn: Turn, pause: float) -> list[Interval]:
    """The turn's speech, split at pauses between its words of at least `pause` seconds."""
    if turn.start is None or turn.end is None:
        return []
    if not turn.words:
        return [(turn.start, turn.end)]
    spans: list[Interval] = []
    run_start, run_end = turn.words[0].start, turn.words[0].end
    for word in turn.words[1:]:
        if word.start - run_end >= pause:
            spans.append((run_start, run_end))
            run_start = word.start
        run_end = max(run_end, word.end)
    spans.append((run_start, run_end))
    # The turn's own bounds win at its edges (a vendor's turn can start a little before its first word).
    spans[0] = (min(turn.start, spans[0][0]), spans[0][1])
    spans[-1] = (spans[-1][0], max(turn.end, spans[-1][1]))
    return spans


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def total(intervals: Iterable[Interval]) -> float:
    return sum(end - start for start, end in intervals)


def gaps(intervals: Sequence[Interval], *, minimum: float, origin: float = 0.0) -> list[Interval]:
    """Stretches of at least `minimum` seconds not covered by the (merged) intervals, from `origin`."""
    found: list[Interval] = []
    cursor = origin
    for start, end in merge(intervals):
        if start - cursor >= minimum:
            found.append((cursor, start))
        cursor = max(cursor, end)
    return found


def overlap(a: Sequence[Interval], b: Sequence[Interval]) -> float:
    """Seconds covered by both interval lists."""
    shared = 0.0
    others = merge(b)
    first = 0   # others[:first] ended before this interval of `a` starts, so before every later one too
    for a_start, a_end in merge(a):
        while first < len(others) and others[first][1] <= a_start:
            first += 1
        k = first
        while k < len(others) and others[k][0] < a_end:
            b_start, b_end = others[k]
            shared += max(0.0, min(a_end, b_end) - max(a_start, b_start))
            k += 1
    return shared


def party_speech(call: Call, role: Role, pause: float) -> list[Interval]:
    """When `role` was speaking: the recording's voice activity when the call has one (exact), else from the
    words' or turns' times."""
    if call.audio is not None:
        return merge((s.start, s.end) for s in call.audio.segments if s.speaker is role)
    return merge(span for t in call.turns if t.speaker is role for span in turn_speech(t, pause))


def timing_source(call: Call) -> Literal["audio", "words", "turns"]:
    """Where a call's timing figures come from, best first."""
    return "audio" if call.audio is not None else "words" if call.has_word_times else "turns"


BACKCHANNEL_MAX_WORDS = 3
BACKCHANNEL_MAX_SECONDS = 1.5


def is_backchannel(turn: Turn, *, max_words: int = BACKCHANNEL_MAX_WORDS,
                   max_seconds: float = BACKCHANNEL_MAX_SECONDS) -> bool:
    """A short listening signal ("mhm", "okay", "right, yeah") rather than a bid for the floor."""
    start, end = turn.start, turn.end   # turn.duration, inlined: this runs for every turn of every call
    if start is not None and end is not None and end - start > max_seconds:
        return False
    text = turn.text
    # Splitting on spaces can only undercount tokens ("right,yeah"), so only short texts need tokenising.
    return len(text.split()) <= max_words and len(TOKEN.findall(text)) <= max_words   # tokens() without lower-casing


def compile_phrases(phrases: Iterable[str]) -> re.Pattern[str]:
    """One case-insensitive pattern for a list of phrase regexes, each matched on word boundaries."""
    return _compiled(tuple(phrases))


@lru_cache(maxsize=256)
def _compiled(phrases: tuple[str, ...]) -> re.Pattern[str]:
    # Analysers compile their settings' phrases for every call: the same few lists, built once here.
    return re.compile("|".join(rf"\b(?:{p})\b" for p in phrases), re.I)
