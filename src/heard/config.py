"""heard's configuration: one TOML file validated by pydantic, overridden by the environment and --set.

Precedence, lowest first: defaults < heard.toml (or HEARD_CONFIG / --config) < HEARD_DB, HEARD_REDIS_URL <
--set key=value.
Unknown keys are errors that name the key and list the valid ones. Secrets come only from the environment.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from heard.auth.policy import WebSettings
from heard.errors import ConfigError
from heard.ingest.base import IngestOptions
from heard.insights.dataset import InsightsSettings
from heard.live.engine import LiveSettings
from heard.redact import RedactionSettings
from heard.store import DEFAULT_URL


class StoreSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(default=DEFAULT_URL, description="SQLAlchemy URL or a SQLite file path")


class ScorecardSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scorecard: str | None = Field(default=None, description="scorecard YAML (default: heard's empathy_balanced)")
    rules: str | None = Field(default=None, description="rules YAML added to heard's built-in rules")


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    store: StoreSettings = Field(default_factory=StoreSettings)
    scorecards: ScorecardSettings = Field(default_factory=ScorecardSettings)
    live: LiveSettings = Field(default_factory=LiveSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    ingest: IngestOptions = Field(default_factory=IngestOptions)
    insights: InsightsSettings = Field(default_factory=InsightsSettings)
    redaction: RedactionSettings = Field(default_factory=RedactionSettings)
    analysers: dict[str, dict[str, Any]] = Field(default_factory=dict, description="analyser name -> settings")


def _valid_keys(model: type[BaseModel], loc: list[str]) -> list[str]:
    current: Any = model
    for part in loc[:-1]:
        field = current.model_fields.get(part) if isinstance(current, type) and issubclass(current, BaseModel) \
            else None
        if field is None or not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)):
            return []
        current = field.annotation
    return list(current.model_fields) if isinstance(current, type) and issubclass(current, BaseModel) else []


def _set(data: dict[str, Any], dotted: str, raw: str) -> None:
    keys = dotted.split(".")
    node = data
    for key in keys[:-1]:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise ConfigError(f"--set {dotted}: {key} is not a section")
    node[keys[-1]] = yaml.safe_load(raw) if raw != "" else ""


def load_settings(path: str | Path | None = None, overrides: list[str] | None = None) -> Settings:
    """The effective settings. A missing default heard.toml is fine; a missing named file is an error."""
    named = path or os.environ.get("HEARD_CONFIG")
    file = Path(named) if named else Path("heard.toml")
    data: dict[str, Any] = {}
    if file.exists():
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{file}: invalid TOML: {exc}", hint="Fix the syntax; see docs/config.md.") from None
    elif named:
        raise ConfigError(f"config file {file} does not exist", hint="Check the path given to --config/HEARD_CONFIG.")
    if os.environ.get("HEARD_DB"):
        data.setdefault("store", {})["url"] = os.environ["HEARD_DB"]
    if os.environ.get("HEARD_REDIS_URL"):
        data.setdefault("live", {})["redis_url"] = os.environ["HEARD_REDIS_URL"]
    for item in overrides or []:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected key=value", hint="e.g. --set ingest.repair_timestamps=true")
        key, value = item.split("=", 1)
        _set(data, key.strip(), value.strip())
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(p) for p in err["loc"]]
        valid = _valid_keys(Settings, loc)
        hint = f"Valid keys here: {', '.join(valid)}." if err["type"] == "extra_forbidden" and valid else None
        raise ConfigError(f"{file if file.exists() else 'settings'}: {'.'.join(loc)}: {err['msg']}", hint=hint) \
            from None
