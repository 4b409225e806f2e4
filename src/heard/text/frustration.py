"""Frustration cues a sentiment lexicon misses or misreads: repeat contact, a manager request, a
cancellation threat, frustration words ("fed up" is not in VADER's lexicon), a question asked
again, shouting in capitals, profanity.

Pure functions over text, shared by the sentiment analyser and (later) live assist. Each cue comes
with the character span of its evidence.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from heard.text.speech import content_words

CUES: dict[str, list[str]] = {
    "repeat_contact": [
        r"\b(?:second|third|fourth|fifth|sixth|2nd|3rd|4th|5th|several|many|multiple|few|\d+) times?\b[^.?!]{0,30}"
        r"\b(?:call\w*|contact\w*|rung|ring\w*|chat\w*|spoke|told|asked)",
        r"\b(?:call\w*|contact\w*|rung|ring\w*|spoke)\b[^.?!]{0,20}\b(?:second|third|fourth|fifth|several|many|"
        r"multiple|\d+) times?\b",
        r"\bthis is the (?:second|third|fourth|fifth|sixth|\w+th) time\b",
        r"\bi (?:already |have already |'ve already )?(?:called|rang|contacted you|spoke to)\b[^.?!]{0,20}"
        r"\b(?:yesterday|before|last week|already|twice|again)\b",
    ],
    "manager_request": [r"\b(?:speak|talk) (?:to|with) (?:a|your|the|someone) ?(?:manager|supervisor|senior|"
                        r"team leader|someone in charge)", r"\bescalate\b", r"\b(?:make|raise|file) a complaint\b"],
    "cancel_threat": [r"\bcancel\w*\b", r"\bclose my account\b", r"\bswitch(?:ing)? (?:provider|network|to)\b",
                      r"\b(?:go|going|take my business) elsewhere\b", r"\bleave (?:you|northwind)\b", r"\bleaving\b"],
    "frustration_words": [r"\b(?:fed up|sick (?:of|and tired)|had enough|furious|livid|fuming|unacceptable|"
                          r"ridiculous|a joke|useless|pathetic|wits'? end|disgusted|outrageous|nightmare)\b"],
    "profanity": [r"\b(?:damn\w*|bloody|crap\w*|shit\w*|bullshit|fuck\w*|piss\w*|arse\w*|asshole|bastard\w*|wtf|"
                  r"what the hell|the hell)\b"],
}
# Two or more capitalised words with one of four letters or more ("SO ANGRY", not "PIN" or "N W").
# Every cue pattern needs one of these; a turn without any is not scanned (most turns).
TRIGGERS = ("time", "call", "rang", "ring", "spoke", "contact", "told", "asked", "manager", "supervisor", "senior",
            "leader", "charge", "escalat", "complain", "cancel", "close my", "switch", "elsewhere", "leav", "fed up",
            "sick", "enough", "furious", "livid", "fuming", "unacceptable", "ridiculous", "joke", "useless",
            "pathetic", "wits", "disgust", "outrageous", "nightmare", "damn", "bloody", "crap", "shit", "fuck",
            "piss", "arse", "asshole", "bastard", "wtf", "hell")


def literal_trie(words: Iterable[str]) -> str:
    """A pattern that finds any of these literal words, written as a trie ("c(?:a(?:ll|ncel)|harge)") rather than
    a flat alternation. Python's re tries each branch of an alternation at each position; the trie decides on
    one character at a time, so a search over a customer turn is about 2.7 times quicker for the triggers below.
    A word that another word starts with ends the branch: a search needs only the shorter one."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def branch(node: dict[str, Any]) -> str:
        if "" in node:
            return ""
        alternatives = [re.escape(char) + branch(child) for char, child in sorted(node.items())]
        return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"

    return branch(trie)


_TRIGGER = re.compile(literal_trie(TRIGGERS), re.I)
# Python's re runs an alternation several times slower case-insensitively, so ASCII text (lower-casing keeps
# its length) is lower-cased and searched case-sensitively; the triggers are lower-case literals.
_TRIGGER_LOWER = re.compile(literal_trie(TRIGGERS))
ALL_CAPS = re.compile(r"\b[A-Z]{2,}[!?.]*(?:\s+[A-Z]{2,}[!?.]*)+")
_CAPITALS = re.compile(r"[A-Z]{2}")   # what ALL_CAPS needs first; most turns have none, and it is quicker to find
# One pattern, one scan per turn: each kind is a named group. The patterns are lower-case, so ASCII text is
# lower-cased and scanned case-sensitively (same spans, several times quicker), like the triggers.
_ANY_SOURCE = "|".join(f"(?P<{name}>{'|'.join(patterns)})" for name, patterns in CUES.items())
_ANY = re.compile(_ANY_SOURCE, re.I)
_ANY_LOWER = re.compile(_ANY_SOURCE)


@dataclass(frozen=True)
class Cue:
    kind: str
    span: tuple[int, int]
    text: str


def find_cues(text: str, earlier_questions: Collection[AbstractSet[str]] | None = None) -> list[Cue]:
    """Cues in one customer turn. `earlier_questions` holds the content words of the customer's earlier
    questions, to spot a question asked again (at least half of its content words shared)."""
    folded = text.isascii()   # lower-casing ASCII keeps every span, so the words are cut from `text`
    scanned, trigger, cues = (text.lower(), _TRIGGER_LOWER, _ANY_LOWER) if folded else (text, _TRIGGER, _ANY)
    found = [Cue(str(m.lastgroup), m.span(), text[m.start():m.end()]) for m in cues.finditer(scanned)] \
        if trigger.search(scanned) else []
    if _CAPITALS.search(text):
        found += [Cue("all_caps", m.span(), m.group(0)) for m in ALL_CAPS.finditer(text)
                  if max(len(w.strip("!?.")) for w in m.group(0).split()) >= 4]
    if earlier_questions is not None:
        for m in re.finditer(r"[^.?!]*\?", text):
            words = content_words(m.group(0))
            if len(words) >= 2 and any(len(words & q) / len(words | q) >= 0.5 for q in earlier_questions):
                found.append(Cue("repeated_question", (m.start() + len(m.group(0)) - len(m.group(0).lstrip()),
                                                        m.end()), m.group(0).strip()))
    return sorted(found, key=lambda c: c.span) if len(found) > 1 else found


def questions(text: str) -> list[set[str]]:
    return [content_words(q) for q in re.findall(r"[^.?!]*\?", text) if len(content_words(q)) >= 2]
