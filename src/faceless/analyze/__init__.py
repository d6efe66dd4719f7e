"""Script analysis: instant, local, deterministic checks of a title and script.

``analyzer`` is the pure logic (no pydantic; one sibling module per part of the analysis),
``schemas`` the HTTP bodies and the shared video field types.
"""

from faceless.analyze.analyzer import (
    Analysis,
    HookReport,
    Keyword,
    TitleReport,
    analyze,
    warm_up,
)

__all__ = ["Analysis", "HookReport", "Keyword", "TitleReport", "analyze", "warm_up"]
