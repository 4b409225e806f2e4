"""The pipeline: a pure function of a call. No database, no network, no global state written.

    analysis = analyse(call)                       # every registered analyser
    analysis = analyse(call, only=["turns.basic"]) # a subset

That purity is what lets the same code run in tests, a process pool, a Ray worker and live assist.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from heard.analysers import REGISTRY, Analyser
from heard.errors import AnalysisError, ConfigError, HeardError
from heard.model import Call, CallAnalysis


def select_analysers(only: Iterable[str] | None = None) -> list[Analyser]:
    if only is None:
        return [REGISTRY[name] for name in sorted(REGISTRY)]
    chosen = []
    for name in only:
        if name not in REGISTRY:
            raise ConfigError(f"unknown analyser {name!r}", hint=f"Known analysers: {', '.join(sorted(REGISTRY))}.")
        chosen.append(REGISTRY[name])
    return chosen


def analyse(call: Call, *, only: Iterable[str] | None = None,
            settings: Mapping[str, Mapping[str, Any]] | None = None) -> CallAnalysis:
    """Run the analysers over one call and collect what they found, with their versions."""
    chosen = select_analysers(only)
    settings = settings or {}
    unknown = set(settings) - {a.name for a in chosen}
    if unknown:
        raise ConfigError(f"settings for unknown analyser(s): {', '.join(sorted(unknown))}",
                          hint=f"Known analysers: {', '.join(sorted(REGISTRY))}.")
    result = CallAnalysis(call_id=call.id, content_hash=call.content_hash(), analysers={})
    for a in chosen:
        reason = a.missing(call)
        if reason is not None:
            result.skipped[a.name] = reason
            continue
        config = a.settings(dict(settings.get(a.name, {})))
        try:
            output = a.run(call, config)
        except HeardError:
            raise  # already says what is wrong and how to fix it (a bad lexicon file, a missing model)
        except Exception as exc:
            raise AnalysisError(f"call {call.id}: analyser {a.id} failed: {type(exc).__name__}: {exc}",
                                hint="This is a bug in heard; please report it with the call.") from exc
        result.analysers[a.name] = a.version
        result.metrics.extend(output.metrics)
        result.findings.extend(output.findings)
    return result
