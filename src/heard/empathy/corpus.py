"""heard's labelled call corpus: whole calls labelled turn by turn as the annotation guide says.

One JSON object per call per line (training/corpus/README.md documents the fields and provenance):
`{"id", "author", "industry", "register", "speakers", "turns": [{"speaker", "role", "text",
"behaviours", "question", "identity_check", "account_action", "robotic", "opportunity", "kind"}]}`.
Reading gives heard Calls (speakers as the file names them, roles as labelled) with the labels beside
them, so the same detectors that run on users' calls are trained and measured on these.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from heard.errors import IngestError
from heard.model import Call, Role, Turn

BEHAVIOURS = ("acknowledge_emotion", "mirror_paraphrase", "clarifying_question", "explain_why", "summarise_goal",
              "next_steps", "reassurance", "confidence_check")
# Labels a learned model predicts for an agent turn beside the behaviours, and for a customer turn.
AGENT_FLAGS = ("question", "open_question", "identity_check", "account_action")
AGENT_LABELS = (*BEHAVIOURS, *AGENT_FLAGS)
CUSTOMER_LABELS = ("opportunity",)
OPPORTUNITY_KINDS = ("frustration", "worry", "urgency", "hardship", "disappointment", "other")
ROBOTIC_KINDS = ("canned", "no_help", "over_apology", "ignores_customer")


@dataclass
class TurnLabels:
    role: Role
    labels: set[str] = field(default_factory=set)   # behaviours and flags (agent) or "opportunity" (customer)
    kind: str | None = None                          # opportunity kind
    robotic: str | None = None


@dataclass
class LabelledCall:
    call: Call
    labels: list[TurnLabels]
    author: str
    industry: str = ""
    register: str = ""

    def of_role(self, role: Role) -> Iterator[tuple[int, TurnLabels]]:
        return ((i, t) for i, t in enumerate(self.labels) if t.role is role)


def read_corpus(paths: Iterable[Path | str]) -> Iterator[LabelledCall | IngestError]:
    """Every labelled call in the files; a bad line is an IngestError naming the file, line and turn."""
    for path in map(Path, paths):
        with path.open(encoding="utf-8") as fh:
            for line_no, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    yield parse_call(json.loads(line))
                except (ValueError, KeyError, TypeError) as exc:
                    yield IngestError(f"not a labelled call: {exc}", path=str(path), line=line_no,
                                      hint="See training/corpus/README.md for the fields.")


def parse_call(doc: dict[str, Any]) -> LabelledCall:
    turns: list[Turn] = []
    labels: list[TurnLabels] = []
    for k, raw in enumerate(doc["turns"]):
        text = str(raw.get("text") or "").strip()
        if not text:
            continue
        role = Role(raw["role"]) if raw.get("role") in ("agent", "customer") else Role.OTHER
        speaker = str(raw.get("speaker") or raw["role"])
        turns.append(Turn(speaker=role, speaker_id=speaker, text=text))
        found = set()
        if role is Role.AGENT:
            unknown = set(raw.get("behaviours") or []) - set(BEHAVIOURS)
            if unknown:
                raise ValueError(f"turn {k}: unknown behaviour(s) {sorted(unknown)}")
            found |= set(raw.get("behaviours") or [])
            question = raw.get("question") or "none"
            if question in ("open", "closed"):
                found.add("question")
                if question == "open":
                    found.add("open_question")
            found |= {flag for flag in ("identity_check", "account_action") if raw.get(flag)}
        elif role is Role.CUSTOMER and raw.get("opportunity"):
            found.add("opportunity")
        robotic = raw.get("robotic") if role is Role.AGENT else None
        labels.append(TurnLabels(role, found, raw.get("kind") if "opportunity" in found else None,
                                 robotic if robotic in ROBOTIC_KINDS else None))
    call = Call(id=str(doc["id"]), turns=turns, metadata={"industry": doc.get("industry"), "author": doc.get("author")})
    return LabelledCall(call, labels, str(doc.get("author") or doc["id"].split("-")[0]),
                        str(doc.get("industry") or ""), str(doc.get("register") or ""))
