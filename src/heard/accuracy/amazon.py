"""heard's figures beside Amazon's, for calls read from Transcribe Call Analytics or Contact Lens.

Where Amazon's definitions allow, the two should agree: words per minute within 3, talk time within
5%, and every non-talk instance matched within 0.5 s at both ends. Interruptions are compared but
not held to a tolerance: Amazon's rule for them is undocumented (see docs/analytics.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from heard.model import Call, CallAnalysis, Role

WPM_TOLERANCE = 3.0
TALK_TIME_TOLERANCE = 0.05
NON_TALK_TOLERANCE = 0.5
PARTIES = {"AGENT": Role.AGENT, "CUSTOMER": Role.CUSTOMER}


@dataclass
class Row:
    call_id: str
    party: str | None
    metric: str
    heard: float | None
    amazon: float | None
    deviation: float | None
    within: bool | None  # None: not held to a tolerance
    note: str = ""


@dataclass
class NonTalkMatch:
    matched: int = 0
    heard_only: list[tuple[float, float]] = field(default_factory=list)
    amazon_only: list[tuple[float, float]] = field(default_factory=list)
    max_offset: float = 0.0


def amazon_characteristics(call: Call) -> dict[str, Any] | None:
    amazon = call.vendor_metrics.get("amazon")
    if not isinstance(amazon, dict):
        return None
    cc = amazon.get("ConversationCharacteristics")
    return cc if isinstance(cc, dict) else None


def _metric(analysis: CallAnalysis, name: str, party: Role | None = None) -> float | None:
    m = analysis.metric(name, party)
    return None if m is None or m.value is None else float(m.value)


def _get(doc: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(doc, dict) or key not in doc:
            return None
        doc = doc[key]
    return doc


def compare_call(call: Call, analysis: CallAnalysis) -> tuple[list[Row], NonTalkMatch]:
    """Rows of heard vs Amazon for one call, and how the non-talk instances matched."""
    cc = amazon_characteristics(call)
    rows: list[Row] = []
    if cc is None:
        return rows, NonTalkMatch()
    turn_only = ("Amazon times speech from the audio, more finely than this file's word timings"
                 if call.has_word_times else
                 "heard has turn times only; Amazon measures speech from the audio, so pauses inside turns differ")
    for key, role in PARTIES.items():
        theirs_ms = _get(cc, "TalkTime", "DetailsByParticipant", key, "TotalTimeMillis")
        ours = _metric(analysis, "talk_time", role)
        theirs = theirs_ms / 1000 if isinstance(theirs_ms, int | float) else None
        dev = (ours - theirs) / theirs if ours is not None and theirs else None
        within = abs(dev) <= TALK_TIME_TOLERANCE if dev is not None else None
        rows.append(Row(call.id, role.value, "talk_time_s", ours, theirs, _round(dev), within,
                        turn_only if within is False else ""))
        theirs_wpm = _get(cc, "TalkSpeed", "DetailsByParticipant", key, "AverageWordsPerMinute")
        ours_wpm = _metric(analysis, "wpm", role)
        dev = ours_wpm - theirs_wpm if ours_wpm is not None and isinstance(theirs_wpm, int | float) else None
        within = abs(dev) <= WPM_TOLERANCE if dev is not None else None
        rows.append(Row(call.id, role.value, "wpm", ours_wpm, theirs_wpm, _round(dev), within,
                        turn_only if within is False else ""))
        theirs_int = _get(cc, "Interruptions", "InterruptionsByInterrupter", key)
        theirs_count = len(theirs_int) if isinstance(theirs_int, list) else 0 if isinstance(
            _get(cc, "Interruptions"), dict) else None
        ours_count = _metric(analysis, "interruptions", role)
        rows.append(Row(call.id, role.value, "interruptions", ours_count, theirs_count,
                        _round(ours_count - theirs_count) if ours_count is not None and theirs_count is not None
                        else None, None, "not held to a tolerance: Amazon's interruption rule is undocumented"))
    instances = _get(cc, "NonTalkTime", "Instances")
    theirs_spans = [(i["BeginOffsetMillis"] / 1000, i["EndOffsetMillis"] / 1000) for i in instances
                    if isinstance(i, dict)] if isinstance(instances, list) else []
    ours_spans = [(f.detail["start"], f.detail["end"]) for f in analysis.findings if f.kind == "non_talk"]
    match = match_non_talk(ours_spans, theirs_spans)
    total_theirs = _get(cc, "NonTalkTime", "TotalTimeMillis")
    ours_total = _metric(analysis, "non_talk_time")
    rows.append(Row(call.id, None, "non_talk_s", ours_total,
                    total_theirs / 1000 if isinstance(total_theirs, int | float) else None,
                    _round(ours_total - total_theirs / 1000) if ours_total is not None
                    and isinstance(total_theirs, int | float) else None, None))
    rows.append(Row(call.id, None, "non_talk_instances", len(ours_spans), len(theirs_spans), None,
                    not match.heard_only and not match.amazon_only,
                    turn_only if (match.heard_only or match.amazon_only) else ""))
    theirs_duration = _get(cc, "TotalConversationDurationMillis")
    ours_duration = _metric(analysis, "duration")
    rows.append(Row(call.id, None, "duration_s", ours_duration,
                    theirs_duration / 1000 if isinstance(theirs_duration, int | float) else None,
                    _round(ours_duration - theirs_duration / 1000) if ours_duration is not None
                    and isinstance(theirs_duration, int | float) else None, None))
    return rows, match


def match_non_talk(ours: list[tuple[float, float]], theirs: list[tuple[float, float]],
                   tolerance: float = NON_TALK_TOLERANCE) -> NonTalkMatch:
    """Pair instances whose starts and ends are each within `tolerance` seconds."""
    result = NonTalkMatch()
    left = list(ours)
    for start, end in theirs:
        best = min(left, key=lambda o: max(abs(o[0] - start), abs(o[1] - end)), default=None)
        if best is not None and max(abs(best[0] - start), abs(best[1] - end)) <= tolerance:
            result.matched += 1
            result.max_offset = max(result.max_offset, round(max(abs(best[0] - start), abs(best[1] - end)), 3))
            left.remove(best)
        else:
            result.amazon_only.append((start, end))
    result.heard_only = left
    return result


def summary(rows: list[Row], matches: list[NonTalkMatch], skipped: list[str]) -> dict[str, Any]:
    """The deviations over all compared calls, as one JSON-ready dict."""
    def devs(metric: str) -> list[float]:
        return [abs(r.deviation) for r in rows if r.metric == metric and r.deviation is not None]

    talk, wpm = devs("talk_time_s"), devs("wpm")
    interruptions = [r for r in rows if r.metric == "interruptions"]
    return {
        "calls": len({r.call_id for r in rows}),
        "skipped_without_amazon_metrics": skipped,
        "talk_time_relative_deviation": {"max": max(talk, default=None), "mean": _round(sum(talk) / len(talk))
                                         if talk else None, "tolerance": TALK_TIME_TOLERANCE},
        "wpm_deviation": {"max": max(wpm, default=None), "mean": _round(sum(wpm) / len(wpm)) if wpm else None,
                          "tolerance": WPM_TOLERANCE},
        "non_talk_instances": {"matched": sum(m.matched for m in matches),
                               "heard_only": sum(len(m.heard_only) for m in matches),
                               "amazon_only": sum(len(m.amazon_only) for m in matches),
                               "max_offset_s": max((m.max_offset for m in matches), default=None),
                               "tolerance_s": NON_TALK_TOLERANCE},
        "interruptions": {"heard": sum(r.heard or 0 for r in interruptions),
                          "amazon": sum(r.amazon or 0 for r in interruptions)},
        "outside_tolerance": [asdict(r) for r in rows if r.within is False],
        "all_within_tolerance": all(r.within is not False for r in rows),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
