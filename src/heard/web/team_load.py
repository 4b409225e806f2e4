"""Team pages: load (heard.team.load); a thin shell."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
