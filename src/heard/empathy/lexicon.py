"""The empathy lexicon: behaviours.yaml validated, optionally extended by an organisation's own file."""

from __future__ import annotations

import re
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from heard.errors import ConfigError

BUILTIN = Path(__file__).with_name("behaviours.yaml")
QUESTION_START = re.compile(r"^(?:what|when|where|which|who|why|how|is|are|was|were|do|does|did|can|could|would|will|"
                            r"have|has|shall|should)\b", re.I)
BEHAVIOURS = ("acknowledge_emotion", "mirror_paraphrase", "clarifying_question", "explain_why", "summarise_goal",
              "next_steps", "reassurance", "confidence_check")


def _compile(patterns: list[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I) if patterns else None


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, ignored_types=(cached_property,))


class Behaviour(_Model):
    description: str
    similarity: float = Field(ge=0, le=1)
    patterns: list[str] = Field(default_factory=list)
    not_patterns: list[str] = Field(default_factory=list)
    overrides: list[str] = Field(default_factory=list)   # a match makes the behaviour present, whatever the model
    exemplars: list[str] = Field(default_factory=list)
    min_shared_content_words: int = 0
    cue_similarity: float | None = None
    alone_similarity: float | None = None
    alone_shared_words: int | None = None
    lookback_turns: int = 4
    last_fraction: float = 1.0
    jargon: list[str] = Field(default_factory=list)

    @cached_property
    def pattern(self) -> re.Pattern[str] | None:
        return _compile(self.patterns)

    @cached_property
    def veto(self) -> re.Pattern[str] | None:
        return _compile(self.not_patterns)

    @cached_property
    def override(self) -> re.Pattern[str] | None:
        return _compile(self.overrides)


class Opportunities(_Model):
    similarity: float
    response_turns: int = Field(ge=1)
    kinds: dict[str, str]
    exemplars: list[str]

    @cached_property
    def compiled(self) -> dict[str, re.Pattern[str]]:
        return {kind: re.compile(p, re.I) for kind, p in self.kinds.items()}


class Robotic(_Model):
    generic_phrases: list[str]
    apology: str
    max_apologies: int = Field(ge=1)
    max_apologies_per_turn: int = Field(ge=1)
    help_patterns: list[str]

    @cached_property
    def generic(self) -> re.Pattern[str] | None:
        return _compile(self.generic_phrases)

    @cached_property
    def apologies(self) -> re.Pattern[str]:
        return re.compile(self.apology, re.I)

    @cached_property
    def help(self) -> re.Pattern[str] | None:
        return _compile(self.help_patterns)


class Lexicon(_Model):
    version: int
    behaviours: dict[str, Behaviour]
    opportunities: Opportunities
    robotic: Robotic


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """An organisation's file adds to lists and overrides scalars, key by key."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        elif isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = out[key] + [v for v in value if v not in out[key]]
        else:
            out[key] = value
    return out


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the empathy lexicon: {exc}",
                          hint="Check the path and the YAML syntax.") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the empathy lexicon must be a mapping", hint="See docs/behaviours.md.")
    return data


@lru_cache(maxsize=8)
def load(extension: str | None = None) -> Lexicon:
    """The built-in lexicon, extended by an organisation's file when given."""
    data = _read(BUILTIN)
    source = str(BUILTIN)
    if extension:
        data = _merge(data, _read(Path(extension)))
        source = extension
    try:
        lexicon = Lexicon.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(f"{source}: {'.'.join(str(p) for p in err['loc'])}: {err['msg']}",
                          hint="See docs/behaviours.md for the lexicon's keys.") from None
    missing = set(BEHAVIOURS) - set(lexicon.behaviours)
    if missing:
        raise ConfigError(f"{source}: behaviours missing: {', '.join(sorted(missing))}")
    for name, b in lexicon.behaviours.items():
        for pattern in b.patterns + b.not_patterns + b.overrides:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ConfigError(f"{source}: behaviours.{name}: bad pattern {pattern!r}: {exc}") from None
    return lexicon


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
