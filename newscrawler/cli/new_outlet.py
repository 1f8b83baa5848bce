"""`newscrawler new-outlet NAME --home URL [--display-name …]`: scaffold a new outlet, its declaration
(newscrawler/outlets/NAME.py) and its replica (tests/replicas/NAME/), ready to crawl and check."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from newscrawler.cli.common import PROJECT_DIR, CliError


def run(args: argparse.Namespace) -> int:
    from newscrawler.outlets import all_outlets
    from newscrawler.scaffold import NewOutlet, ScaffoldError, normalise_home, scaffold

    root = Path(args.root).resolve()
    # The registry imported here is the project's at `root` only when root is this package's project.
    registered = set(all_outlets()) if root == PROJECT_DIR.resolve() else set()
    try:
        home = normalise_home(args.home)
        outlet = NewOutlet(name=args.name, home=home, display_name=args.display_name or urlhost(home),
                           article_path=args.article_path, sample_article=args.sample_article,
                           missing_article=args.missing_article, feed=args.feed)
        written = scaffold(outlet, root, registered)
    except ScaffoldError as exc:
        raise CliError(str(exc)) from None
    for path in written:
        print(f"wrote {path.relative_to(root)}")
    print(f"""
Next (README "Adding an outlet"):
  1. fill the TODOs in newscrawler/outlets/{outlet.name}.py (article_path, sample_article, feeds …)
  2. replace tests/replicas/{outlet.name}/site/article.html and feed.xml with copies of the real pages,
     update routes.json and expected.json
  3. newscrawler crawl {outlet.name} --replicas tests/replicas
     newscrawler check {outlet.name} --replicas tests/replicas""")
    return 0


def urlhost(home: str) -> str:
    from urllib.parse import urlsplit

    return (urlsplit(home).hostname or home).removeprefix("www.")


def register(sub: Any) -> None:
    from newscrawler.scaffold import DEFAULT_ARTICLE_PATH, DEFAULT_FEED, DEFAULT_MISSING, DEFAULT_SAMPLE

    parser = sub.add_parser("new-outlet", help="scaffold an outlet: its declaration and its replica",
                            description=__doc__)
    parser.add_argument("name", help="registry and spider name: lowercase letters, digits, _")
    parser.add_argument("--home", required=True, help="the site's origin, e.g. https://www.example.com")
    parser.add_argument("--display-name", help="the outlet's own name (default: its host)")
    parser.add_argument("--article-path", default=DEFAULT_ARTICLE_PATH,
                        help=f"regex of article URL paths (default {DEFAULT_ARTICLE_PATH})")
    parser.add_argument("--sample-article", default=DEFAULT_SAMPLE,
                        help=f"path of one real article (default {DEFAULT_SAMPLE})")
    parser.add_argument("--missing-article", default=DEFAULT_MISSING,
                        help=f"an article path the replica answers 404 for (default {DEFAULT_MISSING})")
    parser.add_argument("--feed", default=DEFAULT_FEED, help=f"path of the outlet's feed (default {DEFAULT_FEED})")
    parser.add_argument("--root", default=str(PROJECT_DIR), help="project directory to write into (default: this one)")
    parser.set_defaults(func=run)
