"""Read a YAML file into a pydantic model, with errors that name the file, the line and the key path.

"scorecard.yaml, line 14: sections[0].items[2].answer: 'yesno' is not allowed; use one of: yes_no, scale,
points". Used by scorecards, rules and the empathy lexicon, so every YAML heard reads fails the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from heard.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def read(path: Path | str, *, what: str, hint: str) -> tuple[Any, yaml.Node | None]:
    """The parsed data and its node tree (for line numbers); a clear error when the file cannot be read."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what}: {exc.strerror or exc}", hint=hint) from None
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}{where}: the {what} is not valid YAML: {problem}", hint=hint) from None
    return data, node


def line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the deepest node on a key path that exists in the YAML tree."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if getattr(k, "value", None) == str(key)), None)
            if match is None:
                # An unknown key: point at the key itself.
                match = next((k for k, _ in node.value if getattr(k, "value", None) == str(key)), None)
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
            node = node.value[key]
        else:
            break
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def path_text(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _allowed(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed where an unknown key was found, walking the model along the path."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", {})
        if part not in fields:
            return []
        annotation = fields[part].annotation
        current = _inner_model(annotation)
        if current is None:
            return []
    return sorted(getattr(current, "model_fields", {}))


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def message(exc: ValidationError, model: type[BaseModel]) -> tuple[tuple[Any, ...], str]:
    """The first error's key path and a sentence a person can act on."""
    errors = exc.errors()
    # An unknown key is usually the cause of a "missing" one next to it (a typo), so report it first.
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = _allowed(model, loc)
        text = f"unknown key {loc[-1]!r}" + (f"; allowed here: {', '.join(allowed)}" if allowed else "")
    elif kind == "missing":
        text = f"the key {loc[-1]!r} is required here" if loc else "a required key is missing"
    elif kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        text = f"{err.get('input')!r} is not allowed; use one of: {expected.replace(chr(39), '')}"
    else:
        text = err["msg"].removeprefix("Value error, ")
    return loc, text


def load_model(path: Path | str, model: type[M], *, what: str, hint: str, data: Any = None,
               node: yaml.Node | None = None) -> M:
    """Validate a YAML file (or already-read data and its node tree) against a pydantic model."""
    if data is None:
        data, node = read(path, what=what, hint=hint)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the {what} must be a mapping of keys to values, not {type(data).__name__}",
                          hint=hint)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        loc, text = message(exc, model)
        line = line_of(node, loc)
        where = f", line {line}" if line is not None else ""
        raise ConfigError(f"{path}{where}: {path_text(loc)}: {text}", hint=hint) from None
