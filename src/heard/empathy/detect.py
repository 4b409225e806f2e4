"""Find empathy behaviours, questions, account actions, opportunities and robotic-empathy flags in one call.

Pure: call in, findings out. The learned turn model (heard/empathy/model.py) decides, turn by turn,
which behaviours an agent turn shows and whether a customer turn is an empathy opportunity, reading
the turn with its context as the annotation guide does. The lexicon still matters in three ways:
its patterns are features of the model and the evidence shown when they match, its `overrides`
force a behaviour whatever the model says (an organisation's own must-count phrasing), and its
`not_patterns` veto a sentence. Each finding's evidence is one sentence of the turn: the sentence a
pattern matched, else the sentence the model scores highest on its own. Confidence is the model's
calibrated probability.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from heard.empathy.corpus import AGENT_LABELS
from heard.empathy.lexicon import BEHAVIOURS, Lexicon, pattern_hit
from heard.empathy.model import TurnModel, sentence_spans
from heard.model import Call, Evidence, Finding, Metric, Role
from heard.text.speech import content_words, is_backchannel

SENTENCE = re.compile(r"[^.!?]+[.!?]*")   # the live engine's quick split of a finished utterance
PATTERN_CONFIDENCE = 0.9
EMPATHY = ("acknowledge_emotion", "early_acknowledgement")
# What counts as help after an empathy phrase: doing, explaining, asking, promising, acting on the account.
HELP = ("explain_why", "next_steps", "clarifying_question", "reassurance", "summarise_goal", "mirror_paraphrase",
        "question", "account_action", "confidence_check")
HELP_TURNS = 2            # help may come in the empathy turn or the agent's next two turns
REPEATS_FOR_ROBOTIC = 3   # the same canned phrase this many times in a call
STANDALONE_EXTRA_WORDS = 2   # a canned sentence: the phrase and at most this many other words
FEELING_WORDS = re.compile(r"frustrat|concern|upset|feel", re.I)

Negativity = Callable[[str], float]   # how negative a text is, 0..1 (the customer's evidence sentence)


@dataclass
class Result:
    findings: list[Finding] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)


@dataclass
class CallView:
    """A call and the sentence spans of every turn."""

    call: Call
    spans: dict[int, list[tuple[int, int]]]

    def text(self, turn: int, k: int) -> str:
        a, b = self.spans[turn][k]
        return self.call.turns[turn].text[a:b]


@dataclass
class Decision:
    """One label on one turn: how sure, and the sentence that shows it."""

    label: str
    turn: int
    confidence: float
    sentence: int
    how: list[str]


def detect(call: Call, lexicon: Lexicon, *, analyser: str, model: TurnModel | None, negativity: Negativity,
           early_seconds: float = 30.0) -> Result:
    cv = CallView(call, sentence_spans(call))
    agent_turns = [i for i, t in enumerate(call.turns) if t.speaker is Role.AGENT]
    customer_turns = [i for i, t in enumerate(call.turns) if t.speaker is Role.CUSTOMER]
    probabilities = None
    if model is not None:
        # A backchannel ("mhm", "okay") carries no behaviour and no opportunity: the model need not read it.
        turns = agent_turns + customer_turns
        read = [row for row, t in enumerate(turns) if not is_backchannel(call.turns[t])]
        probabilities = np.zeros((len(turns), len(model.labels)), dtype=np.float32)
        probabilities[read] = model.probabilities(call, [turns[row] for row in read])
    decisions = _agent_decisions(cv, agent_turns, lexicon, model,
                                 probabilities[:len(agent_turns)] if probabilities is not None else None)
    result = Result()
    labels_in: dict[int, set[str]] = defaultdict(set)
    for d in decisions:
        labels_in[d.turn].add(d.label)
        result.findings.append(_finding(cv, d, analyser))

    ack_turns = sorted(d.turn for d in decisions if d.label == "acknowledge_emotion")
    early = _early(call, ack_turns, customer_turns, early_seconds)
    if early is not None:
        turn, seconds, problem = early
        ack = next(d for d in decisions if d.label == "acknowledge_emotion" and d.turn == turn)
        result.findings.append(Finding(kind="behaviour", label="early_acknowledgement", analyser=analyser,
                                       confidence=ack.confidence, evidence=[_evidence(cv, turn, ack.sentence)],
                                       detail={"seconds_after_problem": round(seconds, 3), "problem_turn": problem}))
        labels_in[turn].add("early_acknowledgement")

    opportunities = _opportunities(cv, customer_turns, agent_turns, lexicon, model,
                                   probabilities[len(agent_turns):] if probabilities is not None else None,
                                   negativity, labels_in, analyser)
    result.findings += opportunities
    moved = {f.evidence[0].turn for f in opportunities}
    result.findings += _robotic(cv, lexicon, agent_turns, labels_in, moved, analyser)
    result.metrics += _metrics(call, result.findings, analyser, early)
    return result


def _agent_decisions(cv: CallView, agent_turns: list[int], lexicon: Lexicon, model: TurnModel | None,
                     probabilities: np.ndarray[Any, Any] | None) -> list[Decision]:
    """Every behaviour, question and account flag on every agent turn."""
    out: list[Decision] = []
    need_evidence: list[tuple[int, str]] = []
    for row, turn in enumerate(agent_turns):
        if is_backchannel(cv.call.turns[turn]):
            continue
        texts = [cv.text(turn, k) for k in range(len(cv.spans[turn]))]
        for label in AGENT_LABELS:
            spec = lexicon.behaviours.get(label)
            vetoed = {k for k, t in enumerate(texts) if spec is not None and spec.veto is not None
                      and spec.veto.search(t)}
            matched = [k for k, t in enumerate(texts) if k not in vetoed and spec is not None
                       and pattern_hit(label, spec, t)]
            forced = [k for k, t in enumerate(texts) if spec is not None and spec.override is not None
                      and spec.override.search(t)]
            how: list[str] = []
            confidence = 0.0
            if model is not None and probabilities is not None:
                k = model.index(label)
                p = float(probabilities[row, k])
                if p >= float(model.thresholds[k]):
                    confidence = p
                    how.append(f"model (p={p:.2f})")
            elif matched and label in BEHAVIOURS:
                confidence = PATTERN_CONFIDENCE
                how.append("pattern")
            if forced:
                confidence = max(confidence, PATTERN_CONFIDENCE)
                how.append("lexicon override")
            if not how or len(vetoed) == len(texts):
                continue
            sentence = forced[0] if forced else matched[0] if matched else -1
            if matched and not forced:
                how.append("pattern")
            if sentence < 0:
                need_evidence.append((turn, label))
            text = cv.call.turns[turn].text.lower()
            if label == "next_steps" and spec is not None and any(j.lower() in text for j in spec.jargon):
                how.append("uses jargon")     # kept, but a plain-language item will not count it
                confidence = min(confidence, 0.5)
            out.append(Decision(label, turn, round(confidence, 4), sentence, sorted(set(how))))
    # An open question is a question: report "open" only where the question itself was found.
    asked = {d.turn for d in out if d.label == "question"}
    out = [d for d in out if d.label != "open_question" or d.turn in asked]
    need_evidence = [(t, label) for t, label in need_evidence if label != "open_question" or t in asked]
    best = model.best_sentences(cv.call, need_evidence, cv.spans) if model is not None and need_evidence else {}
    for d in out:
        if d.sentence < 0:
            d.sentence = best.get((d.turn, d.label), 0)
    return out


def _evidence(cv: CallView, turn: int, sentence: int) -> Evidence:
    a, b = cv.spans[turn][sentence]
    return Evidence(turn=turn, span=(a, b), text=cv.call.turns[turn].text[a:b], time=cv.call.turns[turn].start)


def _finding(cv: CallView, d: Decision, analyser: str) -> Finding:
    if d.label in BEHAVIOURS:
        kind, label = "behaviour", d.label
    elif d.label in ("question", "open_question"):
        kind, label = "question", "open" if d.label == "open_question" else "asked"
    else:
        kind, label = "account", d.label
    return Finding(kind=kind, label=label, analyser=analyser, confidence=d.confidence,
                   evidence=[_evidence(cv, d.turn, d.sentence)], detail={"how": d.how})


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


def _opportunities(cv: CallView, customer_turns: list[int], agent_turns: list[int], lexicon: Lexicon,
                   model: TurnModel | None, probabilities: np.ndarray[Any, Any] | None, negativity: Negativity,
                   labels_in: dict[int, set[str]], analyser: str) -> list[Finding]:
    config = lexicon.opportunities
    call = cv.call
    if model is not None and probabilities is not None:
        k = model.index("opportunity")
        chosen = {t: float(probabilities[row, k]) for row, t in enumerate(customer_turns)
                  if probabilities[row, k] >= model.thresholds[k]}
    else:
        chosen = {t: PATTERN_CONFIDENCE for t in customer_turns
                  if any(pattern.search(call.turns[t].text) for pattern in config.compiled.values())}
    findings = []
    listened = [t for t in agent_turns if not is_backchannel(call.turns[t])]   # agent turns that may reply
    for turn, confidence in sorted(chosen.items()):
        if is_backchannel(call.turns[turn]):
            continue
        texts = [cv.text(turn, k) for k in range(len(cv.spans[turn]))]
        kinds = sorted({kind for kind, pattern in config.compiled.items() for t in texts if pattern.search(t)})
        sentence = next((k for k, t in enumerate(texts) if any(pt.search(t) for pt in config.compiled.values())),
                        max(range(len(texts)), key=lambda k: negativity(texts[k])))
        first = bisect_right(listened, turn)
        replies = listened[first:first + config.response_turns]
        response: list[str] = []
        responded_in = None
        for t in replies:
            got = labels_in.get(t, set())
            kinds_ = [name for name, keys in (("acknowledge", EMPATHY), ("reassure", ("reassurance",)),
                                              ("act", ("next_steps", "explain_why")))
                      if got & set(keys)]
            if kinds_ and responded_in is None:
                responded_in = t
            response += [k for k in kinds_ if k not in response]
        met = "acknowledge" in response or "reassure" in response
        findings.append(Finding(
            kind="opportunity", label="met" if met else "missed", analyser=analyser, confidence=round(confidence, 4),
            evidence=[_evidence(cv, turn, sentence)],
            detail={"kinds": kinds or ["emotion"], "response": response, "responded_in_turn": responded_in,
                    "looked_at_turns": replies}))
    return findings


def _robotic(cv: CallView, lexicon: Lexicon, agent_turns: list[int], labels_in: dict[int, set[str]],
             opportunities: set[int], analyser: str) -> list[Finding]:
    """Scripted empathy as the product defines it, judged on the whole exchange, not on one phrase."""
    call = cv.call
    config = lexicon.robotic
    flags: list[Finding] = []

    def flag(label: str, evidence: list[Evidence], **detail: Any) -> None:
        flags.append(Finding(kind="robotic", label=label, analyser=analyser, confidence=PATTERN_CONFIDENCE,
                             evidence=evidence, detail=detail))

    def ev(turn: int, k: int, span: tuple[int, int] | None = None) -> Evidence:
        a, b = cv.spans[turn][k]
        s = span or (a, b)
        return Evidence(turn=turn, span=s, text=call.turns[turn].text[s[0]:s[1]], time=call.turns[turn].start)

    sentences = [(t, k, cv.text(t, k)) for t in agent_turns for k in range(len(cv.spans[t]))]
    generic = [(t, k, m) for t, k, text in sentences
               if config.generic is not None and (m := config.generic.search(text))]
    # The same canned line again and again: the same canned sentence said on its own twice, or the phrase
    # inside longer sentences three times.
    seen: dict[str, list[tuple[int, int, bool]]] = defaultdict(list)
    for t, k, m in generic:
        alone = len(cv.text(t, k).split()) - len(m.group(0).split()) <= STANDALONE_EXTRA_WORDS
        seen[re.sub(r"\s+", " ", m.group(0).lower())].append((t, k, alone))
    for phrase, where in seen.items():
        if sum(alone for _, _, alone in where) >= 2 or len(where) >= REPEATS_FOR_ROBOTIC:
            flag("repeated_phrase", [ev(t, k) for t, k, _ in where], phrase=phrase, times=len(where))
    # Empathy with no help in that turn or the agent's next turns.
    empathy_turns = sorted({t for t, _, _ in generic} | {t for t, b in labels_in.items() if b & set(EMPATHY)})
    helpers = [t for t in agent_turns if not is_backchannel(call.turns[t])]
    first_generic: dict[int, int] = {}   # each turn's first sentence with a generic phrase
    for t, k, _ in generic:
        first_generic.setdefault(t, k)
    for turn in empathy_turns:
        after = bisect_right(helpers, turn)
        following = helpers[after:after + HELP_TURNS]
        helped = any(labels_in.get(t, set()) & set(HELP) or
                     (config.help is not None and config.help.search(call.turns[t].text)) for t in [turn, *following])
        if not helped and following:   # at the very end of a call there is nothing left to help with
            flag("empathy_without_help", [ev(turn, first_generic.get(turn, 0))], next_turns=following)
    # Over-apologising: across the call, and within one turn.
    apologies = [(t, k, m) for t, k, text in sentences for m in config.apologies.finditer(text)]
    spans = [ev(t, k, (cv.spans[t][k][0] + m.start(), cv.spans[t][k][0] + m.end())) for t, k, m in apologies]
    if len(apologies) > config.max_apologies:
        flag("over_apologising", spans, apologies=len(apologies), limit=config.max_apologies)
    per_turn: dict[int, list[Evidence]] = defaultdict(list)
    for e in spans:
        per_turn[e.turn].append(e)
    for items in per_turn.values():
        if len(items) > config.max_apologies_per_turn:
            flag("over_apologising_in_turn", items, apologies=len(items), limit=config.max_apologies_per_turn)
    # A canned acknowledgement of a feeling the customer never expressed, about nothing they said.
    customer_turns = [i for i, t in enumerate(call.turns) if t.speaker is Role.CUSTOMER]
    for t, k, m in generic:
        last = bisect_left(customer_turns, t)
        before = customer_turns[max(0, last - 1):last]
        if not before or before[0] in opportunities or not FEELING_WORDS.search(m.group(0)):
            continue
        if not (content_words(cv.text(t, k)) & content_words(call.turns[before[0]].text)):
            a = cv.spans[t][k][0]
            flag("generic_acknowledgement", [ev(t, k, (a + m.start(), a + m.end()))], customer_turn=before[0])
    return flags


def _metrics(call: Call, findings: list[Finding], analyser: str, early: tuple[int, float, int] | None) -> list[Metric]:
    metrics = []
    for name in (*BEHAVIOURS, "early_acknowledgement"):
        turns = sorted({e.turn for f in findings if f.kind == "behaviour" and f.label == name for e in f.evidence})
        metrics.append(Metric(name=f"behaviour_{name}", value=len(turns), party=Role.AGENT, turns=turns,
                              analyser=analyser))
    questions = sorted({f.evidence[0].turn for f in findings if f.kind == "question" and f.label == "asked"})
    open_questions = sorted({f.evidence[0].turn for f in findings if f.kind == "question" and f.label == "open"})
    opportunities = [f for f in findings if f.kind == "opportunity"]
    met = [f for f in opportunities if f.label == "met"]
    turns = [f.evidence[0].turn for f in opportunities]
    metrics += [
        Metric(name="questions", value=len(questions), party=Role.AGENT, turns=questions, analyser=analyser),
        Metric(name="open_questions", value=len(open_questions), party=Role.AGENT, turns=open_questions,
               analyser=analyser),
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
    for flag in ("identity_check", "account_action"):
        hit = sorted({f.evidence[0].turn for f in findings if f.kind == "account" and f.label == flag})
        metrics.append(Metric(name=flag, value=len(hit), party=Role.AGENT, turns=hit, analyser=analyser))
    return metrics
