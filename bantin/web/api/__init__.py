"""`/api/v1` for programs: per-agency bearer tokens, problem details, an OpenAPI document."""

from __future__ import annotations

from bantin.web.api import openapi, views  # noqa: F401  (register the routes)
from bantin.web.api.core import bp, http_problem

__all__ = ["bp", "http_problem"]
