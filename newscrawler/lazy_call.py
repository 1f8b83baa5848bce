"""A function named by module and attribute, imported where it is called.

The crawl process hands pages to extraction workers by reference to `newscrawler.prepare`'s
function; holding the function itself would import the whole extraction stack (trafilatura,
datasketch and its scipy: ~1 s of CPU per crawl) into the crawl process, which never runs it.
This module imports nothing, so unpickling a LazyCall in a worker costs nothing either."""

from __future__ import annotations

import importlib
from typing import Any


class LazyCall:
    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(self.module), self.name)(*args, **kwargs)

    def __repr__(self) -> str:
        return f"LazyCall({self.module}.{self.name})"
