"""Redacting a whole call before it is stored: every turn's text and its recognised words, and a report that
says what was replaced where (in seconds, so the audio side can mute the same stretches) without ever saying
what the identifier was.

Turns are read in stretches by the same speaker, joined with a space, so a number that runs over the end of
one turn into the next ("my card is four one one one" / "one one one one ...") is found whole; the turn just
before the stretch (the other speaker's question) is read for its words only.

Words are matched to the turn's text in order (the text is normally the words joined by spaces, but
punctuation and case may differ); a word that cannot be placed gets the characters between its neighbours.
The words that make up an identifier become one word, the placeholder, from the first one's start to the last
one's end. When too few words can be placed, the words are read on their own instead, every word holding a
digit or "@" is replaced too, and the report gives the whole turn's times.
"""

from __future__ import annotations

import re
from collections import Counter

from pydantic import BaseModel, ConfigDict, Field, field_validator

from heard.model import Call, Turn, Word
from heard.redact.detect import PiiSpan, PiiType, check_region, find_pii, find_pii_in_context, replace

ALIGNED_ENOUGH = 0.6   # the share of a turn's words that must be found in its text to trust the mapping


class RedactionSettings(BaseModel):
    """The [redaction] section of heard.toml: off unless turned on."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = Field(default=False, description="redact personal data from transcripts before storing them")
    types: list[PiiType] = Field(default_factory=lambda: list(PiiType),
                                 description="which kinds of identifier to redact: " + ", ".join(PiiType))
    region: str = Field(default="US", description="where phone numbers without a country code are from "
                                                  "(a two-letter region code: US, GB, CA, AU, IE, ...)")

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        return check_region(value)


class RedactedItem(BaseModel):
    """One replaced identifier in one turn: its type, where, and when. Never its value."""

    model_config = ConfigDict(extra="forbid")
    type: PiiType
    turn: int = Field(ge=0, description="index of the turn in the call")
    placeholder: str
    start: float | None = Field(default=None, description="seconds: from word times, else the turn's start")
    end: float | None = Field(default=None, description="seconds: from word times, else the turn's end")


class RedactionReport(BaseModel):
    """What a redaction replaced: one item per identifier per turn, and how many identifiers of each type that
    was looked for (0 included; one that runs over two turns counts once)."""

    model_config = ConfigDict(extra="forbid")
    items: list[RedactedItem] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)

    def time_ranges(self) -> list[tuple[float, float]]:
        """The stretches of the recording to mute, in seconds, sorted and merged where they touch or overlap.
        Items without both times (a turn without times) give nothing here."""
        spans = sorted((i.start, i.end) for i in self.items if i.start is not None and i.end is not None)
        merged: list[tuple[float, float]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return merged


def redact_call(call: Call, settings: RedactionSettings) -> tuple[Call, RedactionReport]:
    """A copy of `call` with personal data replaced in every turn's text and words, and the report. The call
    passed in is not changed; with `settings.enabled` false it is returned as it is, with an empty report."""
    if not settings.enabled or not settings.types:
        return call, RedactionReport()
    pieces: list[list[PiiSpan]] = [[] for _ in call.turns]
    counts: Counter[str] = Counter()
    for first, last in _stretches(call.turns):
        texts = [t.text for t in call.turns[first:last + 1]]
        context = call.turns[first - 1].text if first else ""
        joined = " ".join(texts)
        offsets = [sum(len(t) + 1 for t in texts[:k]) for k in range(len(texts))]
        for span in find_pii_in_context(joined, context, types=settings.types, region=settings.region):
            counts[span.type.value] += 1
            for k, offset in enumerate(offsets):
                start, end = max(span.start - offset, 0), min(span.end - offset, len(texts[k]))
                while start < end and texts[k][start].isspace():
                    start += 1
                while end > start and texts[k][end - 1].isspace():
                    end -= 1
                if end > start:
                    pieces[first + k].append(PiiSpan(span.type, start, end))
    turns: list[Turn] = []
    items: list[RedactedItem] = []
    for index, (turn, spans) in enumerate(zip(call.turns, pieces, strict=True)):
        if not spans:
            turns.append(turn)
            continue
        words, times = _redact_words(turn, spans, settings)
        turns.append(turn.model_copy(update={"text": replace(turn.text, spans), "words": words}))
        items += [RedactedItem(type=s.type, turn=index, placeholder=s.placeholder, start=start, end=end)
                  for s, (start, end) in zip(spans, times, strict=True)]
    report = RedactionReport(items=items, counts={t.value: counts[t.value] for t in PiiType if t in settings.types})
    return call.model_copy(update={"turns": turns}), report


def _stretches(turns: list[Turn]) -> list[tuple[int, int]]:
    """(first, last) indexes of each run of consecutive turns by the same speaker."""
    out: list[tuple[int, int]] = []
    for i, turn in enumerate(turns):
        if out and turns[out[-1][1]].speaker == turn.speaker and \
                (turn.speaker_id is None or turns[out[-1][1]].speaker_id == turn.speaker_id):
            out[-1] = (out[-1][0], i)
        else:
            out.append((i, i))
    return out


def _redact_words(turn: Turn, spans: list[PiiSpan],
                  settings: RedactionSettings) -> tuple[list[Word] | None, list[tuple[float | None, float | None]]]:
    """The turn's words with each identifier's words made one placeholder word, and each span's (start, end)
    in seconds."""
    whole = (turn.start, turn.end)
    words = turn.words
    if not words:
        return words, [whole] * len(spans)
    places = align(turn.text, [w.text for w in words])
    if places is None:
        return _redact_unaligned(words, spans, settings), [whole] * len(spans)
    groups: list[tuple[int, int, PiiSpan]] = []
    times: list[tuple[float | None, float | None]] = []
    for span in spans:
        inside = [i for i, (a, b) in enumerate(places) if _overlaps(a, b, span.start, span.end)]
        if not inside:
            times.append(whole)
            continue
        first, last = inside[0], inside[-1]
        times.append((min(words[i].start for i in inside), max(words[i].end for i in inside)))
        groups.append((first, last, span))
    return _replace_words(words, groups), times


def _overlaps(a: int, b: int, start: int, end: int) -> bool:
    """Whether a word at characters [a, b) (a == b: an unplaced word between its neighbours) touches [start, end)."""
    if a == b:
        return start <= a < end
    return a < end and start < b


def _replace_words(words: list[Word], groups: list[tuple[int, int, PiiSpan]]) -> list[Word]:
    """`words` with each (first, last) group of word indexes replaced by one placeholder word; groups that share
    words are merged (the first group's placeholder names the merged one)."""
    merged: list[tuple[int, int, PiiSpan]] = []
    for first, last, span in sorted(groups, key=lambda g: (g[0], g[1])):
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(last, merged[-1][1]), merged[-1][2])
        else:
            merged.append((first, last, span))
    out: list[Word] = []
    at = 0
    for first, last, span in merged:
        out += words[at:first]
        start = words[first].start
        out.append(Word(text=span.placeholder, start=start, end=max(start, words[last].end), confidence=None))
        at = last + 1
    out += words[at:]
    return out


def _redact_unaligned(words: list[Word], spans: list[PiiSpan], settings: RedactionSettings) -> list[Word]:
    """Words that could not be matched to the turn's text: read on their own (joined by spaces), and every word
    with a digit or "@" in it replaced as well, with the turn's first identifier type."""
    texts = [w.text for w in words]
    starts = [sum(len(t) + 1 for t in texts[:k]) for k in range(len(texts))]
    groups: list[tuple[int, int, PiiSpan]] = []
    for span in find_pii(" ".join(texts), types=settings.types, region=settings.region):
        inside = [i for i, s in enumerate(starts) if s < span.end and span.start < s + len(texts[i])]
        if inside:
            groups.append((inside[0], inside[-1], span))
    fallback = PiiSpan(spans[0].type, 0, 0)
    covered = {i for first, last, _ in groups for i in range(first, last + 1)}
    groups += [(i, i, fallback) for i, t in enumerate(texts) if i not in covered and re.search(r"[0-9@]", t)]
    return _replace_words(words, groups)


def align(text: str, words: list[str]) -> list[tuple[int, int]] | None:
    """Where each word is in `text`, in order: (start, end) characters. A word that is not found gets the
    characters between the words placed before and after it (possibly none: start == end). None when fewer
    than ALIGNED_ENOUGH of the words with letters or digits are found."""
    places: list[tuple[int, int] | None] = []
    cursor = 0
    found = wanted = 0
    for word in words:
        core = word.strip().strip(".,;:!?\"'()[]{}“”‘’…-")
        if not core:
            places.append(None)
            continue
        wanted += 1
        window = text[cursor:cursor + 40 + 3 * len(core)]
        m = re.search(rf"(?<![^\W_]){re.escape(core)}(?![^\W_])", window, re.IGNORECASE)
        if m is None:
            places.append(None)
            continue
        found += 1
        places.append((cursor + m.start(), cursor + m.end()))
        cursor += m.end()
    if wanted and found < ALIGNED_ENOUGH * wanted:
        return None
    out: list[tuple[int, int]] = []
    for i, place in enumerate(places):
        if place is not None:
            out.append(place)
            continue
        before = out[-1][1] if out else 0
        after = next((p[0] for p in places[i + 1:] if p is not None), len(text))
        out.append((before, max(before, after)))
    return out

