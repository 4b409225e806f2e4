"""heard's public face: `__all__` resolves, `heard.analyse` is the pipeline, and the documented imports work."""

from __future__ import annotations

import importlib

import pytest

import heard


def test_public_api_all_resolves() -> None:
    for name in heard.__all__:
        assert getattr(heard, name) is not None, name


def test_public_api_analyse_is_the_pipeline() -> None:
    from heard.pipeline import analyse

    assert heard.analyse is analyse
    with pytest.raises(AttributeError):
        heard.no_such_thing  # noqa: B018


@pytest.mark.parametrize("path", [
    "heard.ingest:read_path", "heard.pipeline:analyse", "heard.store:Store", "heard.runners.importer:import_paths",
    "heard.runners.local:analyse_many", "heard.analysers:analyser", "heard.accuracy.score:evaluate",
    "heard.review.evaluations:start", "heard.auth.accounts:add_user", "heard.insights.summary:agent_summary",
    "heard.cli:app", "heard.web.app:create_app",
])
def test_public_api_documented_imports(path: str) -> None:
    module, name = path.split(":")
    assert callable(getattr(importlib.import_module(module), name))
