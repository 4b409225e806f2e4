"""Team pages: scripts (heard.team.scripts); a thin shell."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
