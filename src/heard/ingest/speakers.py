"""Map a source's speaker labels (spk_0, A, ch_1, "Maria") to agent / customer.

Order of precedence:
1. the source says so (Amazon's ParticipantRole, an "Agent:" prefix) -> method "explicit";
2. the configuration names the label (`ingest.speaker_roles`, `ingest.agent_names`) -> "config";
3. otherwise a heuristic -> "heuristic", with a confidence.

The heuristic reads each speaker's first few turns and scores phrases that agents say when they
open and run a call (a greeting with a company name, "thank you for calling", "how can I help",
"my name is ... ", "let me check") against phrases customers say ("I'm calling about", "I was
charged", "my account"). Earlier turns weigh more, and whoever speaks first gets a small agent
prior, since agents usually pick up with a greeting. The confidence is a logistic function of the
score margin between the two most likely speakers; 0.5 means "could not tell".
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from heard.model import Role, SpeakerMapping

AGENT_CUES: tuple[tuple[str, float], ...] = (
    (r"\bthanks? (you )?for (calling|contacting|reaching out|holding|your patience)\b", 3.0),
    (r"\bhow (can|may|might|could) i (help|assist)\b", 3.0),
    (r"\bwhat can i (do|help)\b", 2.0),
    (r"\b(you've|you have) reached\b", 3.0),
    (r"\bwelcome to\b", 2.0),
    (r"\bmy name(?: is|'s) \w+", 1.5),
    (r"\byou(?:'re| are) (?:through to|speaking (?:with|to))\b", 3.0),
    (r"\bwho am i (?:speaking|talking) (?:with|to)\b", 2.0),
    (r"\bthis is \w+ (from|with|at|in)\b", 2.0),
    (r"\b(speaking|here)[,.!]? how\b", 1.5),
    (r"\b(for security|verify|confirm) (your|the)\b", 1.5),
    (r"\bcan i (have|get) your\b", 1.5),
    (r"\blet me (check|look|pull|see|take a look)\b", 1.0),
    (r"\bis there anything else\b", 2.0),
    (r"\bi('ve| have) (gone ahead|processed|issued|credited|refunded)\b", 1.5),
)

CUSTOMER_CUES: tuple[tuple[str, float], ...] = (
    (r"\bi'?m calling (about|because|to|regarding)\b", 3.0),
    (r"\bi('m| am) (trying|having|not able)\b", 1.0),
    (r"\b(i was|i've been|i got|i have been) (charged|billed|locked|cut off)\b", 2.5),
    (r"\bmy (account|order|bill|card|internet|package|phone|subscription|payment|refund|delivery)\b", 1.0),
    (r"\bi (want|need|would like) to (cancel|speak|talk|return|know)\b", 2.0),
    (r"\b(can|could) you (help|tell|fix|check)\b", 1.0),
    (r"\bthird time\b|\bsecond time\b", 1.5),
    (r"\b(?:is|am i through to) (?:this|that|it) (?:the|you)\b", 2.5),
)

_AGENT = [(re.compile(p, re.I), w) for p, w in AGENT_CUES]
_CUSTOMER = [(re.compile(p, re.I), w) for p, w in CUSTOMER_CUES]
FIRST_SPEAKER_PRIOR = 0.75
TURNS_READ = 4


@dataclass(frozen=True)
class LabelledText:
    label: str
    text: str


def _score(texts: Sequence[str], cues: Sequence[tuple[re.Pattern[str], float]]) -> float:
    total = 0.0
    for position, text in enumerate(texts[:TURNS_READ]):
        weight = 1.0 / (1 + 0.5 * position)
        total += weight * sum(w for pattern, w in cues if pattern.search(text))
    return total


def guess_roles(turns: Sequence[LabelledText]) -> SpeakerMapping:
    """Guess agent/customer for each label from what the speakers say."""
    order: list[str] = []
    texts: dict[str, list[str]] = {}
    for t in turns:
        if t.label not in texts:
            order.append(t.label)
            texts[t.label] = []
        texts[t.label].append(t.text)
    if not order:
        return SpeakerMapping(method="heuristic", roles={}, confidence=0.0, reason="no speakers")
    lean = {
        label: _score(texts[label], _AGENT) - _score(texts[label], _CUSTOMER)
        + (FIRST_SPEAKER_PRIOR if label == order[0] else 0.0)
        for label in order
    }
    ranked = sorted(order, key=lambda lab: lean[lab], reverse=True)
    agent = ranked[0]
    roles: dict[str, Role] = {agent: Role.AGENT}
    if len(ranked) == 1:
        margin = lean[agent]
        if margin < 0:
            roles[agent] = Role.CUSTOMER
            margin = -margin
    else:
        customer = ranked[-1] if len(ranked) > 2 else ranked[1]
        for label in ranked[1:]:
            roles[label] = Role.CUSTOMER if label == customer else Role.OTHER
        margin = lean[agent] - lean[ranked[1]]
    confidence = round(1 / (1 + math.exp(-margin)), 3)
    reason = "agent = " + agent + " (" + ", ".join(f"{lab}: {lean[lab]:+.2f}" for lab in ranked) + ")"
    return SpeakerMapping(method="heuristic", roles=roles, confidence=confidence, reason=reason)


def configured_role(
    label: str, speaker_roles: Mapping[str, Role], agent_names: Sequence[str], customer_names: Sequence[str]
) -> Role | None:
    """The role the configuration gives this label, if any (case-insensitive)."""
    key = label.strip().lower()
    for name, role in speaker_roles.items():
        if name.lower() == key:
            return role
    if key in (n.lower() for n in agent_names):
        return Role.AGENT
    if key in (n.lower() for n in customer_names):
        return Role.CUSTOMER
    return None
