"""What every `newscrawler` command shares: project settings, the store, one-line errors."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent


class CliError(Exception):
    """A misuse or an unmet precondition: printed as one line `newscrawler <command>: <message>`."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def project_settings() -> Any:
    import os

    from scrapy.utils.project import get_project_settings

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "settings")
    return get_project_settings()


def open_store(settings: Any | None = None) -> Any:
    """The article store at MONGO_URI (the embedded server, started on demand, when unset)."""
    from newscrawler.scrapy_ext.connection import resolve_mongo_uri
    from newscrawler.store import ArticleStore

    settings = settings or project_settings()
    return ArticleStore.open(resolve_mongo_uri(settings), settings.get("MONGO_DATABASE"))


def instant(text: str) -> datetime:
    """An ISO 8601 instant (argparse type); without an offset it is UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date-time: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def known_outlets(names: list[str]) -> list[str]:
    """`names` (all outlets when empty), each checked against the registry."""
    from newscrawler.outlets import all_outlets

    known = list(all_outlets())
    unknown = [n for n in names if n not in known]
    if unknown:
        raise CliError(f"unknown outlet{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                       f"known: {', '.join(known)}")
    return list(dict.fromkeys(names)) or known


def replica_roots(directory: str, names: list[str]) -> dict[str, Path]:
    """The replica folder of each outlet under `directory`; every one must exist."""
    roots = {name: Path(directory) / name for name in names}
    missing = [name for name, root in roots.items() if not (root / "site").is_dir()]
    if missing:
        raise CliError(f"no replica for {', '.join(missing)} under {directory} "
                       f"(expected {Path(directory) / missing[0] / 'site'}/)")
    return roots
