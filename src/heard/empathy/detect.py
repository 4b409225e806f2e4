"""Find empathy behaviours, opportunities and robotic-empathy flags in one call. Pure: call in, findings out.

Every agent turn is split into sentences; a sentence shows a behaviour when one of the behaviour's
patterns matches it (confidence 0.9) or its embedding is close enough to one of the behaviour's
exemplars (confidence = the cosine similarity). Mirroring and summarising must also connect to
what the customer said: shared content words, or semantic similarity with the customer's own recent
sentences. A behaviour's evidence is the sentence that shows it; a robotic flag's is the canned words.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from heard.empathy.head import Head
from heard.empathy.lexicon import BEHAVIOURS, Lexicon
from heard.model import Call, Evidence, Finding, Metric, Role
from heard.text.speech import content_words, is_backchannel

SENTENCE = re.compile(r"[^.!?]+[.!?]*")
PATTERN_CONFIDENCE = 0.9
QUESTION_START = re.compile(r"^(?:what|when|where|which|who|why|how|is|are|was|were|do|does|did|can|could|would|will|"
                            r"have|has|shall|should)\b", re.I)
EMPATHY = ("acknowledge_emotion", "early_acknowledgement")
HELP_BEHAVIOURS = ("explain_why", "next_steps", "clarifying_question")

Encode = Callable[[list[str]], np.ndarray[Any, Any]]


@dataclass(frozen=True)
class Sentence:
    turn: int
    span: tuple[int, int]
    text: str


@dataclass
class Hit:
    behaviour: str
    sentence: Sentence
    span: tuple[int, int]
    confidence: float
    how: str


@dataclass
class Result:
    findings: list[Finding] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)


def sentences(call: Call, turn: int) -> list[Sentence]:
    text = call.turns[turn].text
    out = []
    for m in SENTENCE.finditer(text):
        raw = m.group(0)
        start = m.start() + (len(raw) - len(raw.lstrip()))
        end = m.start() + len(raw.rstrip())
        if end > start and re.search(r"\w", text[start:end]):
            out.append(Sentence(turn, (start, end), text[start:end]))
    return out


def detect(call: Call, lexicon: Lexicon, encode: Encode, exemplars: dict[str, np.ndarray[Any, Any]], *,
           analyser: str, early_seconds: float = 30.0, head: Head | None = None) -> Result:
    agent_turns = [i for i, t in enumerate(call.turns) if t.speaker is Role.AGENT]
    customer_turns = [i for i, t in enumerate(call.turns) if t.speaker is Role.CUSTOMER]
    agent_sents = [s for i in agent_turns for s in sentences(call, i)]
    customer_sents = [s for i in customer_turns for s in sentences(call, i)]
    vectors = encode([s.text for s in agent_sents + customer_sents])
    agent_vec, customer_vec = vectors[: len(agent_sents)], vectors[len(agent_sents):]
    customer_words = {i: content_words(call.turns[i].text) for i in customer_turns}
    learned = head.probabilities([s.text for s in agent_sents], agent_vec) if head is not None else {}
    # A canned line ("I understand your frustration") is judged by the lexicon alone, never credited by the head.
    generic = lexicon.robotic.generic
    canned = {k for k, s in enumerate(agent_sents) if generic is not None and generic.search(s.text)}

    hits: list[Hit] = []
    closing_from = agent_turns[int(len(agent_turns) * (1 - lexicon.behaviours["confidence_check"].last_fraction))] \
        if agent_turns else 0
    for k, sent in enumerate(agent_sents):
        v = agent_vec[k]
        for name, spec in lexicon.behaviours.items():
            if name == "confidence_check" and sent.turn < closing_from:
                continue
            p = learned.get(name)
            hit = _match(name, spec, sent, v, exemplars.get(name),
                         None if p is None or head is None or k in canned else (float(p[k]), head.threshold(name)))
            if hit is None:
                continue
            if name in ("mirror_paraphrase", "summarise_goal"):
                hit = _connects(hit, spec, sent, v, call, customer_sents, customer_vec, customer_words)
                if hit is None:
                    continue
            if name == "next_steps" and any(j.lower() in sent.text.lower() for j in spec.jargon):
                hit.how += "; uses jargon"
                hit.confidence = min(hit.confidence, 0.5)
            hits.append(hit)
    # A closing check on the concern is that, not also a clarifying question or an acknowledgement.
    checks = {h.sentence for h in hits if h.behaviour == "confidence_check"}
    hits = [h for h in hits if not (h.sentence in checks and h.behaviour in ("clarifying_question",
                                                                             "acknowledge_emotion"))]

    result = Result()
    by_turn: dict[tuple[str, int], list[Hit]] = defaultdict(list)
    for h in hits:
        by_turn[(h.behaviour, h.sentence.turn)].append(h)
    for (behaviour, _turn), found in sorted(by_turn.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        result.findings.append(_finding("behaviour", behaviour, found, call, analyser))

    ack_turns = sorted({t for (b, t) in by_turn if b == "acknowledge_emotion"})
    early = _early(call, ack_turns, customer_turns, early_seconds)
    if early is not None:
        turn, seconds, problem = early
        result.findings.append(Finding(kind="behaviour", label="early_acknowledgement", analyser=analyser,
                                       confidence=max(h.confidence for h in by_turn[("acknowledge_emotion", turn)]),
                                       evidence=[e for e in _evidence(by_turn[("acknowledge_emotion", turn)], call)],
                                       detail={"seconds_after_problem": round(seconds, 3), "problem_turn": problem}))
    behaviours_in: dict[int, set[str]] = defaultdict(set)
    for (label, t) in by_turn:
        behaviours_in[t].add(label)
    if early is not None:
        behaviours_in[early[0]].add("early_acknowledgement")

    # Only a specific acknowledgement answers a customer's feeling: one made only of canned phrases does not.
    generic = lexicon.robotic.generic
    answering = {t: set(labels) for t, labels in behaviours_in.items()}
    for t, labels in answering.items():
        acks = by_turn.get(("acknowledge_emotion", t), [])
        if acks and generic is not None and all(generic.search(h.sentence.text) for h in acks):
            labels -= set(EMPATHY)
    result.findings += _opportunities(call, lexicon, customer_sents, customer_vec, exemplars, answering,
                                      agent_turns, analyser)
    result.findings += _robotic(call, lexicon, agent_turns, agent_sents, behaviours_in, customer_words, analyser)
    result.metrics += _metrics(call, result.findings, analyser, early)
    return result


def pattern_hit(name: str, b: Any, text: str) -> bool | None:
    """Whether one sentence shows the behaviour by its patterns; None when it cannot show it at all (a
    veto matched, or a question behaviour without a question). The live engine uses the same test."""
    if b.veto is not None and b.veto.search(text):
        return None
    stripped = text.rstrip()
    # Without a question mark, a sentence is a question only if it starts like one and has no full stop or "!".
    bare_question = not stripped.endswith((".", "!", "?")) and QUESTION_START.match(text) is not None
    if name in ("clarifying_question", "confidence_check") and not (stripped.endswith("?") or bare_question):
        return None
    m = b.pattern.search(text) if b.pattern is not None else None
    if name == "clarifying_question" and m is None and bare_question and len(text.split()) <= 20:
        m = QUESTION_START.match(text)
    return m is not None


def _match(name: str, b: Any, sent: Sentence, v: np.ndarray[Any, Any],
           vectors: np.ndarray[Any, Any] | None, learned: tuple[float, float] | None = None) -> Hit | None:
    hit = pattern_hit(name, b, sent.text)
    if hit is None:
        return None
    if hit:
        # The evidence is the whole sentence: a coach needs "That sounds really stressful, being charged twice",
        # not "sounds really stressful".
        return Hit(name, sent, sent.span, PATTERN_CONFIDENCE, "pattern")
    if vectors is not None and len(vectors):
        similarity = float(np.max(vectors @ v))
        if similarity >= b.similarity:
            return Hit(name, sent, sent.span, round(similarity, 4), "similar to exemplar")
    if learned is not None and learned[0] >= learned[1]:
        return Hit(name, sent, sent.span, round(learned[0], 4), f"learned head (p={learned[0]:.2f})")
    if b.alone_similarity is not None:  # may still echo the customer with no cue at all; _connects decides
        return Hit(name, sent, sent.span, 0.0, "echo")
    return None


def _connects(hit: Hit, b: Any, sent: Sentence, v: np.ndarray[Any, Any], call: Call, customer_sents: list[Sentence],
              customer_vec: np.ndarray[Any, Any], customer_words: dict[int, set[str]]) -> Hit | None:
    """Mirroring and summarising must be about what this customer said in the last few turns."""
    recent = [k for k, s in enumerate(customer_sents) if sent.turn - b.lookback_turns <= s.turn < sent.turn]
    if not recent:
        return None
    said = set().union(*(customer_words[customer_sents[k].turn] for k in recent))
    own = content_words(sent.text)
    shared = own & said
    similarity = float(np.max(customer_vec[recent] @ v))
    needed = b.cue_similarity if hit.how == "pattern" and b.cue_similarity is not None else b.similarity
    if hit.how == "echo":
        strong = (similarity >= (b.alone_similarity or 1.0)) or (
            len(shared) >= (b.alone_shared_words or 99) and len(shared) >= 0.5 * len(own))
        if not strong:
            return None
    elif similarity < needed and len(shared) < max(1, b.min_shared_content_words):
        return None
    hit.how += f"; echoes the customer (similarity {similarity:.2f}, shared words: {', '.join(sorted(shared))})"
    hit.confidence = round(max(hit.confidence, similarity, min(0.9, 0.5 + 0.1 * len(shared))), 4)
    return hit


def _evidence(found: list[Hit], call: Call) -> list[Evidence]:
    return [Evidence(turn=h.sentence.turn, span=h.span, text=call.turns[h.sentence.turn].text[h.span[0]:h.span[1]],
                     time=call.turns[h.sentence.turn].start) for h in found]


def _finding(kind: str, label: str, found: list[Hit], call: Call, analyser: str) -> Finding:
    return Finding(kind=kind, label=label, analyser=analyser, confidence=round(max(h.confidence for h in found), 4),
                   evidence=_evidence(found, call), detail={"how": sorted({h.how for h in found})})


def _early(call: Call, ack_turns: list[int], customer_turns: list[int],
           early_seconds: float) -> tuple[int, float, int] | None:
    """The first acknowledgement, if it came within `early_seconds` of the customer stating the problem."""
    problem = next((i for i in customer_turns if len(call.turns[i].text.split()) >= 6), None)
    if problem is None or call.turns[problem].end is None:
        return None
    after = [t for t in ack_turns if t > problem and call.turns[t].start is not None]
    if not after:
        return None
    seconds = (call.turns[after[0]].start or 0.0) - (call.turns[problem].end or 0.0)
    return (after[0], seconds, problem) if seconds <= early_seconds else None


def _opportunities(call: Call, lexicon: Lexicon, customer_sents: list[Sentence], customer_vec: np.ndarray[Any, Any],
                   exemplars: dict[str, np.ndarray[Any, Any]], behaviours_in: dict[int, set[str]],
                   agent_turns: list[int], analyser: str) -> list[Finding]:
    config = lexicon.opportunities
    found: dict[int, list[tuple[Sentence, str, float]]] = defaultdict(list)
    for k, sent in enumerate(customer_sents):
        kinds = [kind for kind, pattern in config.compiled.items() if pattern.search(sent.text)]
        similarity = float(np.max(exemplars["opportunity"] @ customer_vec[k])) if len(exemplars["opportunity"]) else 0
        if kinds or similarity >= config.similarity:
            found[sent.turn].append((sent, ",".join(kinds) or "emotion", similarity))
    findings = []
    for turn, sents in sorted(found.items()):
        if is_backchannel(call.turns[turn]):
            continue
        replies = [t for t in agent_turns if t > turn and not is_backchannel(call.turns[t])][: config.response_turns]
        response: list[str] = []
        responded_in = None
        for t in replies:
            got = behaviours_in.get(t, set())
            kinds = [name for name, keys in (("acknowledge", EMPATHY), ("reassure", ("reassurance",)),
                                             ("act", ("next_steps", "explain_why")))
                     if got & set(keys)]
            if kinds and responded_in is None:
                responded_in = t
            response += [k for k in kinds if k not in response]
        met = "acknowledge" in response or "reassure" in response
        findings.append(Finding(
            kind="opportunity", label="met" if met else "missed", analyser=analyser,
            confidence=round(max(PATTERN_CONFIDENCE if s[1] != "emotion" else s[2] for s in sents), 4),
            evidence=[Evidence(turn=turn, span=s.span, text=s.text, time=call.turns[turn].start) for s, _, _ in sents],
            detail={"kinds": sorted({k for _, ks, _ in sents for k in ks.split(",")}), "response": response,
                    "responded_in_turn": responded_in, "looked_at_turns": replies}))
    return findings


def _robotic(call: Call, lexicon: Lexicon, agent_turns: list[int], agent_sents: list[Sentence],
             behaviours_in: dict[int, set[str]], customer_words: dict[int, set[str]], analyser: str) -> list[Finding]:
    config = lexicon.robotic
    flags: list[Finding] = []

    def flag(label: str, evidence: list[Evidence], **detail: Any) -> None:
        flags.append(Finding(kind="robotic", label=label, analyser=analyser, confidence=PATTERN_CONFIDENCE,
                             evidence=evidence, detail=detail))

    def ev(sent: Sentence, span: tuple[int, int] | None = None) -> Evidence:
        s = span or sent.span
        return Evidence(turn=sent.turn, span=s, text=call.turns[sent.turn].text[s[0]:s[1]],
                        time=call.turns[sent.turn].start)

    generic = [(s, m) for s in agent_sents if config.generic is not None and (m := config.generic.search(s.text))]
    # The same canned phrase more than once in a call.
    seen: dict[str, list[Sentence]] = defaultdict(list)
    for s, m in generic:
        seen[m.group(0).lower()].append(s)
    for phrase, where in seen.items():
        if len(where) >= 2:
            flag("repeated_phrase", [ev(s) for s in where], phrase=phrase, times=len(where))
    # An empathy phrase followed by no help in the same or the next agent turn.
    empathy_turns = sorted({s.turn for s, _ in generic} | {t for t, b in behaviours_in.items() if b & set(EMPATHY)})
    for turn in empathy_turns:
        following = [t for t in agent_turns if t > turn][:1]
        helped = any(behaviours_in.get(t, set()) & set(HELP_BEHAVIOURS) or
                     (config.help is not None and config.help.search(call.turns[t].text)) for t in [turn, *following])
        if not helped:
            first = next(s for s in agent_sents if s.turn == turn)
            flag("empathy_without_help", [ev(first)], next_turn=following[0] if following else None)
    # Over-apologising: across the call, and within one turn.
    apologies = [(s, m) for s in agent_sents for m in config.apologies.finditer(s.text)]
    if len(apologies) > config.max_apologies:
        flag("over_apologising", [ev(s, (s.span[0] + m.start(), s.span[0] + m.end())) for s, m in apologies],
             apologies=len(apologies), limit=config.max_apologies)
    per_turn: dict[int, list[tuple[Sentence, Any]]] = defaultdict(list)
    for s, m in apologies:
        per_turn[s.turn].append((s, m))
    for items in per_turn.values():
        if len(items) > config.max_apologies_per_turn:
            flag("over_apologising_in_turn", [ev(s, (s.span[0] + m.start(), s.span[0] + m.end())) for s, m in items],
                 apologies=len(items), limit=config.max_apologies_per_turn)
    # A generic acknowledgement that ignores what the customer just said.
    for s, m in generic:
        before = [t for t in customer_words if t < s.turn]
        if before and not (content_words(s.text) & customer_words[before[-1]]):
            flag("generic_acknowledgement", [ev(s, (s.span[0] + m.start(), s.span[0] + m.end()))],
                 customer_turn=before[-1])
    return flags


def _metrics(call: Call, findings: list[Finding], analyser: str, early: tuple[int, float, int] | None) -> list[Metric]:
    metrics = []
    for name in (*BEHAVIOURS, "early_acknowledgement"):
        turns = sorted({e.turn for f in findings if f.kind == "behaviour" and f.label == name for e in f.evidence})
        metrics.append(Metric(name=f"behaviour_{name}", value=len(turns), party=Role.AGENT, turns=turns,
                              analyser=analyser))
    opportunities = [f for f in findings if f.kind == "opportunity"]
    met = [f for f in opportunities if f.label == "met"]
    turns = [f.evidence[0].turn for f in opportunities]
    metrics += [
        Metric(name="opportunities", value=len(opportunities), party=Role.CUSTOMER, turns=turns, analyser=analyser),
        Metric(name="opportunities_met", value=len(met), party=Role.CUSTOMER,
               turns=[f.evidence[0].turn for f in met], analyser=analyser),
        Metric(name="opportunity_response_rate", value=round(len(met) / len(opportunities), 4) if opportunities
               else None, label=None if opportunities else "not_applicable", party=Role.AGENT, turns=turns,
               analyser=analyser),
        Metric(name="robotic_flags", value=sum(1 for f in findings if f.kind == "robotic"), party=Role.AGENT,
               turns=sorted({e.turn for f in findings if f.kind == "robotic" for e in f.evidence}), analyser=analyser),
        Metric(name="early_acknowledgement_seconds", value=round(early[1], 3) if early else None, unit="s",
               party=Role.AGENT, turns=[early[2], early[0]] if early else [], analyser=analyser),
    ]
    return metrics
