"""scrapy-playwright hooks."""

from __future__ import annotations

from typing import Any

_HEAVY = frozenset({"image", "media", "font"})


def abort_heavy_resources(request: Any) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: skip images, media and fonts while rendering a page."""
    return request.resource_type in _HEAVY
