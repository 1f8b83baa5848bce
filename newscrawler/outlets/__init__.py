"""Outlet registry: one module per outlet, each exporting OUTLET."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from urllib.parse import urlsplit

from newscrawler.outlets.base import Outlet

__all__ = ["Outlet", "all_outlets", "get_outlet", "outlet_for_url"]


@cache
def all_outlets() -> dict[str, Outlet]:
    """Every declared outlet, by name (modules under this package that define OUTLET)."""
    found: dict[str, Outlet] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name == "base":
            continue
        outlet = getattr(importlib.import_module(f"{__name__}.{info.name}"), "OUTLET", None)
        if isinstance(outlet, Outlet):
            if outlet.name in found:
                raise ValueError(f"outlet {outlet.name!r} is declared twice")
            found[outlet.name] = outlet
    return dict(sorted(found.items()))


def get_outlet(name: str) -> Outlet:
    try:
        return all_outlets()[name]
    except KeyError:
        raise KeyError(f"unknown outlet {name!r}; known: {', '.join(all_outlets())}") from None


def outlet_for_url(url: str) -> Outlet | None:
    host = urlsplit(url).hostname or ""
    for outlet in all_outlets().values():
        if outlet.owns_host(host):
            return outlet
    return None
