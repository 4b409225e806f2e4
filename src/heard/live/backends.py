"""The live-call hub the `[live]` settings ask for: memory (one process) or Redis (several workers)."""

from __future__ import annotations

from heard.errors import ConfigError
from heard.live.engine import LiveSettings
from heard.live.hub import Hub


def make_hub(settings: LiveSettings | None = None) -> Hub:
    """A hub for `settings.backend`; Redis needs `pip install 'heard[redis]'`."""
    settings = settings or LiveSettings()
    if settings.backend == "memory":
        return Hub(settings)
    try:
        from heard.live.redis_hub import RedisHub
    except ImportError as exc:
        raise ConfigError(f"live.backend = \"redis\" needs the redis package ({exc})",
                          hint="pip install 'heard[redis]', or set live.backend = \"memory\" for one "
                               "server process.") from None
    return RedisHub(settings)
