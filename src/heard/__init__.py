"""heard: empathy-first quality assurance and coaching for contact centers."""

from typing import Any

from heard.errors import AnalysisError, ConfigError, ConflictError, HeardError, IngestError, StoreError
from heard.model import Call, CallAnalysis, Channel, Evidence, Finding, Metric, Outcome, Role, Turn, Word

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # `heard.analyse` without importing the analysers (and their models) on `import heard`.
    if name == "analyse":
        from heard.pipeline import analyse

        return analyse
    raise AttributeError(f"module 'heard' has no attribute {name!r}")


__all__ = [
    "AnalysisError", "Call", "CallAnalysis", "Channel", "ConfigError", "ConflictError", "Evidence", "Finding",
    "HeardError", "IngestError", "Metric", "Outcome", "Role", "StoreError", "Turn", "Word", "__version__", "analyse",
]
