"""Live assist for one call: utterance events in, prompts, alerts and a running state out.

Incremental and bounded: each final utterance is scored once (VADER and the empathy lexicon's
patterns, about a millisecond; no embeddings, which would cost tens of milliseconds a sentence on a
CPU), and decisions read only the call's running state, never the whole call again. Partial
utterances only update what the agent sees; decisions wait for the final text.

Prompts sound like a coach, not a script: built from the customer's own words ("Acknowledge:
charged twice … rent is due Friday"), never the same suggestion twice in a call, a cooldown between
prompts, a maximum per call, suppressed when the agent has just done the behaviour, and each says
briefly why it fired. Nothing is inferred from anyone's voice: only from what was said.
"""

from __future__ import annotations

import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from heard.empathy.detect import SENTENCE
from heard.empathy.lexicon import Lexicon, load, pattern_hit
from heard.text.frustration import find_cues
from heard.text.sentiment import score
from heard.text.speech import STOPWORDS

Speaker = Literal["agent", "customer"]
WORD = re.compile(r"[A-Za-z][A-Za-z'’]*|\d+")
HOLD = re.compile(r"\b(?:hold|bear with me|one moment|just a (?:moment|second|minute)|let me (?:check|look))\b", re.I)
CLOSING = re.compile(r"\b(?:anything else|have a (?:good|great|nice|lovely)|thanks? (?:you )?for calling|goodbye|"
                     r"bye)\b", re.I)
WHY = re.compile(r"\bwhy\b[^.?!]*\?|\bhow come\b", re.I)


class LiveSettings(BaseModel):
    """How talkative live assist is. All times are call seconds (from the utterances' own timestamps)."""

    model_config = ConfigDict(extra="forbid")
    cooldown_seconds: float = Field(default=20.0, ge=0, description="at least this long between two prompts")
    max_prompts: int = Field(default=6, ge=0, description="prompts per call at most")
    response_turns: int = Field(default=2, ge=1, description="agent turns an opportunity may wait for a response")
    dead_air_seconds: float = Field(default=10.0, gt=0, description="silence that is not a hold, before an alert")
    interruptions_alert: int = Field(default=2, ge=1, description="agent interruptions before an alert")
    overlap_seconds: float = Field(default=0.5, ge=0, description="overlap that counts as interrupting")
    spike_drop: float = Field(default=0.35, gt=0, description="drop in customer sentiment that is a spike")
    recent_agent_turns: int = Field(default=2, ge=1, description="a behaviour this recent suppresses its prompt")
    # Limits that keep the live-call table bounded (docs/security.md). Times are wall-clock seconds.
    max_calls_per_user: int = Field(default=20, ge=1, description="live calls an agent may hold at once")
    max_calls_per_service: int = Field(default=5000, ge=1, description="live calls one service token's owner may "
                                       "hold at once")
    max_calls: int = Field(default=20000, ge=1, description="live calls the server holds at most")
    idle_seconds: float = Field(default=1800.0, gt=0, description="a call that hears nothing this long is dropped")
    keep_seconds: float = Field(default=600.0, ge=0, description="a disconnected call is kept this long to resume")
    ended_keep_seconds: float = Field(default=300.0, ge=0, description="an ended call stays on the feed this long")
    # Where live calls are kept: one process's memory, or Redis shared by several workers (docs/live.md).
    backend: Literal["memory", "redis"] = Field(default="memory", description="memory (one server process) or "
                                                "redis (several workers share live calls; pip install 'heard[redis]')")
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", description="the Redis server for backend = "
                           "\"redis\" (env HEARD_REDIS_URL overrides)")
    redis_prefix: str = Field(default="heard:live:", min_length=1, max_length=100,
                              description="the start of every Redis key and channel heard uses for live calls")
    lease_seconds: float = Field(default=30.0, gt=0, le=3600, description="a streaming connection's hold on its "
                                 "call lapses this long after its last message (another may then take the call)")
    redis_write_ms: float = Field(default=20.0, ge=0, le=1000, description="changed calls are written to Redis "
                                  "together every this many ms (0: each message before its answer); a reconnect "
                                  "always sees the last state, a worker that crashes loses at most this much")

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"{value!r} is not a Redis URL: use redis://HOST:6379/0, rediss://... or unix:///path")
        return value


class Utterance(BaseModel):
    """One message from the client: an utterance, final or partial."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["utterance"] = "utterance"
    id: str | int | None = Field(default=None, description="the client's id for this utterance; echoed back")
    speaker: Speaker
    text: str = Field(max_length=20000)
    start: float | None = Field(default=None, ge=0, le=1e7)
    end: float | None = Field(default=None, ge=0, le=1e7)
    final: bool = True


def parse(message: Any) -> Utterance:
    """A client message as an Utterance; raises ValueError with a sentence a developer can act on."""
    if not isinstance(message, dict):
        raise ValueError("send a JSON object: {\"type\": \"utterance\", \"speaker\": \"customer\", \"text\": ...}")
    try:
        u = Utterance.model_validate(message)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "message"
        raise ValueError(f"{where}: {err['msg']}") from None
    if u.start is not None and u.end is not None and u.end < u.start:
        raise ValueError(f"end ({u.end}) is before start ({u.start})")
    return u


def key_phrase(text: str, limit: int = 6) -> str:
    """The customer's own words, shortened: their one or two most loaded clauses, in their order.

    "I've been charged twice and my rent is due Friday, I'm really worried." -> "charged twice … rent is due Friday"
    """
    clauses = [c.strip(" .!?") for c in re.split(r"[.!?;,]+|\s(?:and|but|so|because)\s", text) if c.strip(" .!?")]

    def weight(clause: str) -> int:
        return sum(w.lower() not in STOPWORDS and w.lower() not in FEELINGS for w in WORD.findall(clause))

    best = sorted(sorted(range(len(clauses)), key=lambda k: -weight(clauses[k]))[:2])
    parts = []
    for k in best:
        if weight(clauses[k]) == 0:
            continue
        words = clauses[k].split()
        while words and (words[0].lower().strip("'’") in STOPWORDS or words[0].lower() in FEELINGS):
            words.pop(0)
        parts.append(" ".join(words[:limit]))
    return " … ".join(p for p in parts if p) or text.strip()[:40]


FEELINGS = {"really", "so", "very", "worried", "stressed", "upset", "frustrated", "annoyed", "angry", "fed", "up",
            "honestly", "just", "panicking", "scared", "anxious", "sick", "tired", "furious", "livid", "gutted", "bit",
            "i'm", "im", "i've", "it's", "that's", "don't", "can't", "yeah", "hi", "hello", "ok", "okay", "want",
            "know", "because", "think", "need", "please", "well", "right", "actually"}
MOOD = {"frustration": "frustrated", "worry": "worried", "disappointment": "disappointed",
        "urgency": "pressed for time", "bereavement": "bereaved", "financial_strain": "under money pressure",
        "health": "worried about health"}


@dataclass
class Opportunity:
    turn: int
    kinds: list[str]
    phrase: str
    waited: int = 0
    status: Literal["pending", "met", "missed"] = "pending"


@dataclass
class LiveCall:
    """The running state of one live call."""

    call_id: str
    settings: LiveSettings = field(default_factory=LiveSettings)
    lexicon: Lexicon = field(default_factory=load)
    turns: int = 0
    last_end: float | None = None
    last_speaker: Speaker | None = None
    last_customer_end: float | None = None
    sentiment: deque[float] = field(default_factory=lambda: deque(maxlen=5))
    trend: float = 0.0
    opportunities: list[Opportunity] = field(default_factory=list)
    agent_recent: deque[set[str]] = field(default_factory=lambda: deque(maxlen=4))
    asked_question: bool = False
    explained: bool = False
    stated_next_steps: bool = False
    checked: bool = False
    problem_phrase: str | None = None
    interruptions: int = 0
    alerted: set[str] = field(default_factory=set)
    prompts: list[dict[str, Any]] = field(default_factory=list)
    said: set[str] = field(default_factory=set)
    last_prompt_at: float | None = None
    frustration_rising: bool = False
    ended: bool = False
    partial: dict[str, str] = field(default_factory=dict)
    timings_ms: deque[float] = field(default_factory=lambda: deque(maxlen=2000))

    # --- the one entry point -----------------------------------------------------------------------

    def handle(self, u: Utterance) -> list[dict[str, Any]]:
        """Events for one utterance (a partial only updates what is shown)."""
        began = time.perf_counter()
        if not u.final:
            self.partial[u.speaker] = u.text[-300:]
            return [self._state(u)]
        self.partial.pop(u.speaker, None)
        events: list[dict[str, Any]] = []
        now = u.end if u.end is not None else (u.start if u.start is not None else float(self.turns))
        if u.start is not None and self.last_end is not None:
            gap = u.start - self.last_end
            if gap >= self.settings.dead_air_seconds and not (self.last_speaker == "agent" and self._held):
                events.append(self._alert("dead_air", f"{gap:.0f} s of silence", u, seconds=round(gap, 1)))
        if u.speaker == "customer":
            events += self._customer(u, now)
        else:
            events += self._agent(u, now)
        self.turns += 1
        self.last_speaker = u.speaker
        self.last_end = max(self.last_end or 0.0, u.end if u.end is not None else (u.start or 0.0))
        events.append(self._state(u))
        self.timings_ms.append((time.perf_counter() - began) * 1000)
        return events

    # --- customer ----------------------------------------------------------------------------------

    def _customer(self, u: Utterance, now: float) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        compound = score(u.text)[0]
        before = self.trend
        self.sentiment.append(compound)
        self.trend = sum(self.sentiment) / len(self.sentiment)
        self.last_customer_end = u.end if u.end is not None else self.last_customer_end
        cues = find_cues(u.text)
        kinds = [kind for kind, pattern in self.lexicon.opportunities.compiled.items() if pattern.search(u.text)]
        if self.problem_phrase is None and len(u.text.split()) >= 6:
            self.problem_phrase = key_phrase(u.text)
        if any(c.kind == "manager_request" for c in cues):
            events.append(self._alert("escalation_request", "the customer asked for a manager", u,
                                      quote=next(c.text for c in cues if c.kind == "manager_request")))
        dropped = len(self.sentiment) >= 2 and before - self.trend >= self.settings.spike_drop / 2 and compound <= -0.3
        if (compound <= -0.5 or dropped or any(c.kind in ("frustration_words", "all_caps") for c in cues)) \
                and (kinds or cues or compound <= -0.5):
            self.frustration_rising = True
            if self._can_alert(f"frustration@{self.turns // 4}"):
                quoted = ", ".join(f"“{c.text}”" for c in cues[:2])
                events.append(self._alert("frustration_spike", f"the customer said {quoted}" if cues
                                          else f"customer sentiment fell to {compound:+.2f}", u,
                                          sentiment=round(compound, 3), cues=[c.kind for c in cues]))
        if kinds:
            phrase = key_phrase(u.text)
            self.opportunities.append(Opportunity(self.turns, kinds, phrase))
            events += self._maybe_prompt(
                "acknowledge", f"Acknowledge before solving: “{phrase}”",
                f"the customer sounds {' and '.join(MOOD.get(k, k) for k in kinds[:2])}", now,
                suppress_if=("acknowledge_emotion", "reassurance"))
        why_question = WHY.search(u.text)
        if why_question:
            asked = " ".join(why_question.group(0).rstrip("?").split()[:8])
            events += self._maybe_prompt("explain_why", f"Explain why, not just what: “{asked}?”",
                                         "the customer asked why", now, suppress_if=("explain_why",))
        return events

    # --- agent -------------------------------------------------------------------------------------

    def _agent(self, u: Utterance, now: float) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        found = self._behaviours(u.text)
        self.agent_recent.append(found)
        if self.last_customer_end is not None and u.start is not None and \
                u.start < self.last_customer_end - self.settings.overlap_seconds and self.last_speaker == "customer" \
                and len(u.text.split()) > 2:
            self.interruptions += 1
            if self.interruptions >= self.settings.interruptions_alert and \
                    self._can_alert(f"interruptions@{self.interruptions // self.settings.interruptions_alert}"):
                events.append(self._alert("repeated_interruptions",
                                          f"the agent has talked over the customer {self.interruptions} times", u,
                                          count=self.interruptions))
        self.asked_question |= "clarifying_question" in found
        self.explained |= "explain_why" in found
        self.checked |= "confidence_check" in found
        for opp in self.opportunities:
            if opp.status != "pending":
                continue
            if found & {"acknowledge_emotion", "reassurance"}:
                opp.status = "met"
                self.frustration_rising = False
            else:
                opp.waited += 1
                if opp.waited >= self.settings.response_turns:
                    opp.status = "missed"
        if "next_steps" in found and not self.asked_question and self.problem_phrase:
            events += self._maybe_prompt("clarify", f"Ask a clarifying question about “{self.problem_phrase}”",
                                         "next steps came before any question about the problem", now,
                                         suppress_if=("clarifying_question",))
        self.stated_next_steps |= "next_steps" in found
        if CLOSING.search(u.text) and self.turns >= 4:
            if not self.stated_next_steps:
                events += self._maybe_prompt("next_steps", "State the next steps: who does what, and by when",
                                             "the call is closing and no next step was stated", now,
                                             suppress_if=("next_steps",))
            elif not self.checked:
                about = f" about “{self.problem_phrase}”" if self.problem_phrase else ""
                events += self._maybe_prompt("check_resolved", f"Check the concern is resolved{about}",
                                             "the call is closing without a check", now,
                                             suppress_if=("confidence_check",))
        return events

    def _behaviours(self, text: str) -> set[str]:
        sentences = [m.group(0).strip() for m in SENTENCE.finditer(text) if m.group(0).strip()]
        found = {name for name, b in self.lexicon.behaviours.items()
                 if any(pattern_hit(name, b, s) for s in sentences)}
        generic = self.lexicon.robotic.generic
        ack = self.lexicon.behaviours["acknowledge_emotion"].pattern
        if "acknowledge_emotion" in found and generic is not None and ack is not None and \
                not ack.search(generic.sub(" ", text)):
            found.discard("acknowledge_emotion")  # a canned line alone is not an acknowledgement
        if HOLD.search(text):
            found.add("hold")
        return found

    @property
    def _held(self) -> bool:
        return bool(self.agent_recent) and "hold" in self.agent_recent[-1]

    # --- prompts, alerts, state --------------------------------------------------------------------

    def _maybe_prompt(self, kind: str, text: str, why: str, now: float,
                      suppress_if: tuple[str, ...]) -> list[dict[str, Any]]:
        recent = list(self.agent_recent)[-self.settings.recent_agent_turns:]
        reason = None
        if any(set(suppress_if) & turn for turn in recent):
            reason = "the agent just did this"
        elif text in self.said:
            reason = "already suggested in this call"
        elif len(self.prompts) >= self.settings.max_prompts:
            reason = "the call's prompt limit is reached"
        elif self.last_prompt_at is not None and now - self.last_prompt_at < self.settings.cooldown_seconds:
            reason = f"cooldown ({self.settings.cooldown_seconds:g} s)"
        if reason is not None:
            return [{"type": "suppressed", "kind": kind, "text": text, "reason": reason}]
        self.said.add(text)
        self.last_prompt_at = now
        prompt = {"type": "prompt", "kind": kind, "text": text, "why": why, "at": now}
        self.prompts.append(prompt)
        return [prompt]

    def _can_alert(self, key: str) -> bool:
        if key in self.alerted:
            return False
        self.alerted.add(key)
        return True

    def _alert(self, kind: str, why: str, u: Utterance, **detail: Any) -> dict[str, Any]:
        return {"type": "alert", "kind": kind, "why": why, "at": u.end if u.end is not None else u.start, **detail}

    def _state(self, u: Utterance) -> dict[str, Any]:
        slope = (self.sentiment[-1] - self.sentiment[0]) if len(self.sentiment) >= 2 else 0.0
        counts = {s: sum(o.status == s for o in self.opportunities) for s in ("pending", "met", "missed")}
        return {"type": "state", "turns": self.turns, "customer_sentiment": round(self.trend, 3),
                "trend": "rising" if slope > 0.15 else "falling" if slope < -0.15 else "steady",
                "opportunities": counts, "prompts": len(self.prompts), "interruptions": self.interruptions,
                "frustration_rising": self.frustration_rising and counts["pending"] + counts["missed"] > 0,
                "partial": dict(self.partial), "final": u.final}

    # --- kept elsewhere and restored (several server workers share a call through Redis) ---------------

    def to_dict(self) -> dict[str, Any]:
        """The running state as plain JSON-ready data: what `from_dict` needs to continue the call exactly.

        Not included: the settings and lexicon (the server's own) and the timings (this process's statistics)."""
        return {"v": 1, "call_id": self.call_id, "turns": self.turns, "last_end": self.last_end,
                "last_speaker": self.last_speaker, "last_customer_end": self.last_customer_end,
                "sentiment": list(self.sentiment), "trend": self.trend,
                "opportunities": [[o.turn, o.kinds, o.phrase, o.waited, o.status] for o in self.opportunities],
                "agent_recent": [sorted(found) for found in self.agent_recent],
                "asked_question": self.asked_question, "explained": self.explained,
                "stated_next_steps": self.stated_next_steps, "checked": self.checked,
                "problem_phrase": self.problem_phrase, "interruptions": self.interruptions,
                "alerted": sorted(self.alerted), "prompts": self.prompts, "said": sorted(self.said),
                "last_prompt_at": self.last_prompt_at, "frustration_rising": self.frustration_rising,
                "ended": self.ended, "partial": self.partial}

    @classmethod
    def from_dict(cls, data: dict[str, Any], settings: LiveSettings | None = None,
                  lexicon: Lexicon | None = None) -> LiveCall:
        """A call restored from `to_dict`; raises ValueError naming the field when the data is not such a state."""
        if data.get("v") != 1:
            raise ValueError(f"live call state: version {data.get('v')!r} is not 1 (written by another heard?)")
        try:
            call = cls(str(data["call_id"]), settings or LiveSettings(), lexicon or load())
            call.turns, call.last_end = int(data["turns"]), data["last_end"]
            call.last_speaker, call.last_customer_end = data["last_speaker"], data["last_customer_end"]
            call.sentiment.extend(float(x) for x in data["sentiment"])
            call.trend = float(data["trend"])
            call.opportunities = [Opportunity(int(t), list(k), str(p), int(w), s)
                                  for t, k, p, w, s in data["opportunities"]]
            call.agent_recent.extend(set(found) for found in data["agent_recent"])
            for flag in ("asked_question", "explained", "stated_next_steps", "checked", "frustration_rising",
                         "ended"):
                setattr(call, flag, bool(data[flag]))
            call.problem_phrase, call.interruptions = data["problem_phrase"], int(data["interruptions"])
            call.alerted, call.said = set(data["alerted"]), set(data["said"])
            call.prompts, call.last_prompt_at = list(data["prompts"]), data["last_prompt_at"]
            call.partial = dict(data["partial"])
        except KeyError as exc:
            raise ValueError(f"live call state: {exc.args[0]!r} is missing") from None
        except (TypeError, ValueError) as exc:
            raise ValueError(f"live call state: {exc}") from None
        return call

    def snapshot(self) -> dict[str, Any]:
        """What the supervisor view shows for this call."""
        counts = {s: sum(o.status == s for o in self.opportunities) for s in ("pending", "met", "missed")}
        return {"call_id": self.call_id, "turns": self.turns, "customer_sentiment": round(self.trend, 3),
                "opportunities": counts, "prompts": len(self.prompts), "interruptions": self.interruptions,
                "needs_attention": self.frustration_rising and counts["met"] == 0 and
                counts["pending"] + counts["missed"] > 0, "ended": self.ended,
                "last_prompt": self.prompts[-1]["text"] if self.prompts else None}
