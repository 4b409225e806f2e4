"""heard: empathy-first quality assurance and coaching for contact centers."""

from heard.errors import AnalysisError, ConfigError, ConflictError, HeardError, IngestError, StoreError
from heard.model import Call, CallAnalysis, Channel, Evidence, Finding, Metric, Outcome, Role, Turn, Word

__version__ = "0.1.0"

__all__ = [
    "AnalysisError", "Call", "CallAnalysis", "Channel", "ConfigError", "ConflictError", "Evidence", "Finding",
    "HeardError", "IngestError", "Metric", "Outcome", "Role", "StoreError", "Turn", "Word", "__version__",
]
