"""empathy: the nine micro-behaviours, empathy opportunities and robotic-empathy flags, with evidence.

Patterns and exemplar phrases live in heard/empathy/behaviours.yaml (its `version` is recorded in
every finding's detail); an organisation can extend it with `lexicon = "my.yaml"`. Embeddings come
from all-MiniLM-L6-v2 (int8 ONNX, heard/embeddings.py), cached by sentence. See docs/behaviours.md.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from heard.analysers.registry import Output, analyser
from heard.empathy import head as learned
from heard.empathy.detect import detect
from heard.empathy.lexicon import load
from heard.model import Call
from heard.text.embeddings import encoder

NAME = "empathy"


class EmpathySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lexicon: str | None = Field(default=None, description="an organisation's YAML that extends the built-in lexicon")
    early_seconds: float = Field(default=30.0, gt=0, description="acknowledgement within this long of the problem")
    learned_head: bool = Field(default=True, description="also use the learned head (heard/empathy/head.json)")


_exemplars: dict[str | None, dict[str, Any]] = {}


@analyser(NAME, version=2, settings=EmpathySettings, produces=(
    "behaviour", "opportunity", "robotic", "behaviour_*", "opportunities", "opportunities_met",
    "opportunity_response_rate", "robotic_flags", "early_acknowledgement_seconds"))
def empathy(call: Call, settings: EmpathySettings) -> Output:
    """Empathy behaviours with evidence, empathy opportunities met or missed, and robotic-empathy flags."""
    lexicon = load(settings.lexicon)
    enc = encoder()
    if settings.lexicon not in _exemplars:
        _exemplars[settings.lexicon] = lexicon.exemplar_vectors(enc.encode)
    head = learned.load() if settings.learned_head else None
    result = detect(call, lexicon, enc.encode, _exemplars[settings.lexicon],
                    analyser=NAME, early_seconds=settings.early_seconds, head=head)
    for finding in result.findings:
        finding.detail["lexicon_version"] = lexicon.version
        if head is not None:
            finding.detail["head_version"] = head.version
    return Output(metrics=result.metrics, findings=result.findings)
