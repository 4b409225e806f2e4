"""empathy: the nine micro-behaviours, questions, account actions, empathy opportunities and robotic-empathy
flags, with evidence.

The learned turn model (heard/empathy/model.py, trained by scripts/train_model.py) decides per turn;
the lexicon in heard/empathy/behaviours.yaml supplies the patterns shown as evidence, the overrides an
organisation can force and the vetoes (`lexicon = "my.yaml"` extends it). See docs/behaviours.md.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from heard.analysers.registry import Output, analyser
from heard.empathy import model as turn_model
from heard.empathy.detect import detect
from heard.empathy.lexicon import load
from heard.model import Call
from heard.text.sentiment import score

NAME = "empathy"


class EmpathySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lexicon: str | None = Field(default=None, description="an organisation's YAML that extends the built-in lexicon")
    early_seconds: float = Field(default=30.0, gt=0, description="acknowledgement within this long of the problem")
    model: bool = Field(default=True, description="decide with the learned turn model (off: lexicon patterns only)")


def _negativity(text: str) -> float:
    return score(text)[2]


@analyser(NAME, version=3, settings=EmpathySettings, produces=(
    "behaviour", "question", "account", "opportunity", "robotic", "behaviour_*", "questions", "open_questions",
    "identity_check", "account_action", "opportunities", "opportunities_met", "opportunity_response_rate",
    "robotic_flags", "early_acknowledgement_seconds"))
def empathy(call: Call, settings: EmpathySettings) -> Output:
    """Empathy behaviours with evidence, questions, account actions, opportunities met or missed, robotic flags."""
    lexicon = load(settings.lexicon)
    model = turn_model.load() if settings.model else None
    result = detect(call, lexicon, analyser=NAME, model=model, negativity=_negativity,
                    early_seconds=settings.early_seconds)
    for finding in result.findings:
        finding.detail["lexicon_version"] = lexicon.version
        if model is not None:
            finding.detail["model_version"] = model.version
    return Output(metrics=result.metrics, findings=result.findings)
