"""Phrases an agent overuses across their calls, against the rest of their team.

Scripted empathy shows across calls as well as within one: the same "I understand your frustration"
in every call. For each agent, every empathy or apology phrase they use (the robotic lexicon's generic
phrases and the acknowledgement patterns, lower-cased) is counted per call; the **overuse index** is
the agent's uses per call divided by the uses per call of everyone else in their team. A phrase is
flagged when the agent uses it in at least `min_share` of their calls and the index is at least
`min_index` (a phrase nobody else in the team uses has an infinite index).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from heard.empathy.lexicon import Lexicon
from heard.model import Call, Role


@dataclass
class Overuse:
    agent_id: str
    team: str | None
    phrase: str
    agent_uses_per_call: float
    team_uses_per_call: float
    index: float
    calls_with_phrase: int
    agent_calls: int
    examples: list[tuple[str, int]] = field(default_factory=list)  # (call id, turn)


def _phrases(text: str, patterns: list[re.Pattern[str]]) -> list[str]:
    """Matched phrases, lower-cased; where two patterns match overlapping words, only the longer counts."""
    spans = sorted({m.span() for pattern in patterns for m in pattern.finditer(text)},
                   key=lambda s: (s[0], -(s[1] - s[0])))
    kept: list[tuple[int, int]] = []
    for start, end in spans:
        if kept and start < kept[-1][1]:
            if end - start > kept[-1][1] - kept[-1][0]:
                kept[-1] = (start, end)
            continue
        kept.append((start, end))
    return [" ".join(text[a:b].lower().split()) for a, b in kept]


def phrase_overuse(calls: Iterable[Call], lexicon: Lexicon, *, min_index: float = 2.0,
                   min_share: float = 0.5) -> list[Overuse]:
    """Overused phrases per agent, most overused first."""
    patterns = [p for p in (lexicon.robotic.generic, lexicon.behaviours["acknowledge_emotion"].pattern) if p]
    uses: dict[str, Counter[str]] = defaultdict(Counter)        # agent -> phrase -> uses
    calls_with: dict[str, Counter[str]] = defaultdict(Counter)  # agent -> phrase -> calls it appears in
    examples: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    n_calls: Counter[str] = Counter()
    team_of: dict[str, str | None] = {}
    for call in calls:
        agent = call.agent_id or "?"
        n_calls[agent] += 1
        team_of[agent] = call.team
        seen: set[str] = set()
        for i, turn in enumerate(call.turns):
            if turn.speaker is not Role.AGENT:
                continue
            for phrase in _phrases(turn.text, patterns):
                uses[agent][phrase] += 1
                seen.add(phrase)
                if len(examples[(agent, phrase)]) < 3:
                    examples[(agent, phrase)].append((call.id, i))
        for phrase in seen:
            calls_with[agent][phrase] += 1
    found = []
    for agent, phrases in uses.items():
        mates = [a for a in n_calls if a != agent and team_of[a] == team_of[agent]]
        mate_calls = sum(n_calls[a] for a in mates)
        if not mate_calls:
            continue  # no team to compare with
        for phrase, count in phrases.items():
            share = calls_with[agent][phrase] / n_calls[agent]
            mine = count / n_calls[agent]
            theirs = sum(uses[a][phrase] for a in mates if a in uses) / mate_calls
            index = mine / theirs if theirs else math.inf
            if share >= min_share and index >= min_index:
                found.append(Overuse(agent, team_of[agent], phrase, round(mine, 3), round(theirs, 3),
                                     round(index, 2) if index != math.inf else index,
                                     calls_with[agent][phrase], n_calls[agent], examples[(agent, phrase)]))
    return sorted(found, key=lambda o: (-o.index, -o.agent_uses_per_call, o.agent_id, o.phrase))
