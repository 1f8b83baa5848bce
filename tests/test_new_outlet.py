"""One documented way to add an outlet: `newscrawler new-outlet` scaffolds a declaration and a replica
that crawl, check and pass the per-outlet end-to-end test as they are; `newscrawler outlets` keeps
README's coverage table generated from the registry."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from newscrawler.cli import main
from newscrawler.cli.outlets import BEGIN, END, markdown_table, outlet_rows, table_in
from newscrawler.evaluation import token_prf
from newscrawler.outlets import all_outlets
from newscrawler.store import ArticleStore
from tests.conftest import PROJECT_DIR, REPLICAS

NAME = "alsumaria"


def project_copy(root: Path) -> Path:
    """The parts of the project a crawl needs (and the test files, for the per-outlet e2e test)."""
    ignore = shutil.ignore_patterns("__pycache__")
    for folder in ("newscrawler", "spiders", "pipelines", "settings"):
        shutil.copytree(PROJECT_DIR / folder, root / folder, ignore=ignore)
    shutil.copy(PROJECT_DIR / "scrapy.cfg", root)
    shutil.copytree(REPLICAS, root / "tests" / "replicas")
    for test_file in (PROJECT_DIR / "tests").glob("*.py"):
        shutil.copy(test_file, root / "tests")
    return root


def test_readme_table_is_the_generated_one() -> None:
    readme = (PROJECT_DIR / "README.md").read_text("utf-8")
    assert table_in(readme) == markdown_table(outlet_rows(all_outlets(), REPLICAS)), \
        "README's outlet table is stale: run `newscrawler outlets --update-readme`"


def test_update_readme_rewrites_only_between_the_markers(tmp_path: Path, capsys) -> None:
    readme = tmp_path / "README.md"
    before, after = "# Title\n\ntext before | with a pipe\n\n", "\n\n## Next\ntext after\n"
    readme.write_text(f"{before}{BEGIN}\n| stale | table |\n{END}{after}", "utf-8")
    assert main(["outlets", "--update-readme", "--readme", str(readme)]) == 0
    text = readme.read_text("utf-8")
    assert text.startswith(before + BEGIN + "\n") and text.endswith(END + after)
    assert table_in(text) == markdown_table(outlet_rows(all_outlets(), REPLICAS))
    assert "stale" not in text
    readme.write_text("no markers here\n", "utf-8")
    assert main(["outlets", "--update-readme", "--readme", str(readme)]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0, "one line"
    assert readme.read_text("utf-8") == "no markers here\n"


@pytest.mark.parametrize(("name", "home", "message"), [
    ("almada", "https://almadapaper.net", "already exists"),
    ("Al-Sumaria", "https://www.alsumaria.tv", "not a valid outlet name"),
    ("class", "https://www.alsumaria.tv", "not a valid outlet name"),
    ("9news", "https://9news.example", "not a valid outlet name"),
    (NAME, "www.alsumaria.tv", "--home must be an http(s) URL"),
    (NAME, "https://www.alsumaria.tv/ar/news", "scheme and host only"),
])
def test_new_outlet_refuses(name: str, home: str, message: str, tmp_path: Path, capsys) -> None:
    root = tmp_path / "project"
    (root / "newscrawler" / "outlets").mkdir(parents=True)
    (root / "newscrawler" / "outlets" / "almada.py").write_text("", "utf-8")
    assert main(["new-outlet", name, "--home", home, "--root", str(root)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("newscrawler new-outlet: ") and message in err and err.count("\n") == 1, err
    assert sorted(p.name for p in (root / "newscrawler" / "outlets").iterdir()) == ["almada.py"]
    assert not (root / "tests").exists()


def test_new_outlet_refuses_a_sample_article_its_rule_rejects(tmp_path: Path, capsys) -> None:
    (tmp_path / "newscrawler" / "outlets").mkdir(parents=True)
    assert main(["new-outlet", NAME, "--home", "https://www.alsumaria.tv", "--root", str(tmp_path),
                 "--article-path", r"^/ar/news/\d+$", "--sample-article", "/news/1"]) == 2
    assert "does not match --article-path" in capsys.readouterr().err
    assert list((tmp_path / "newscrawler" / "outlets").iterdir()) == []


def test_a_scaffolded_outlet_crawls_checks_and_passes_the_outlet_tests(tmp_path: Path, mongo_uri: str,
                                                                       db_name: str, store: ArticleStore) -> None:
    root = project_copy(tmp_path / "project")
    env = {**os.environ, "PYTHONPATH": str(root), "MONGO_URI": mongo_uri, "MONGO_DATABASE": db_name,
           "NEWSCRAWLER_DATA_DIR": str(tmp_path / "data")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, *args], cwd=root, env=env, capture_output=True, text=True, timeout=180)

    imported = run("-c", "import newscrawler, spiders; print(newscrawler.__file__); print(spiders.__file__)")
    assert imported.stdout.split() == [str(root / "newscrawler" / "__init__.py"), str(root / "spiders" / "__init__.py")]

    # No --root: the default is the project of the package imported, here the copy.
    made = run("-m", "newscrawler.cli", "new-outlet", NAME, "--home", "https://www.alsumaria.tv/",
               "--display-name", "السومرية")
    assert made.returncode == 0, made.stderr
    module, replica = root / "newscrawler" / "outlets" / f"{NAME}.py", root / "tests" / "replicas" / NAME
    assert module.is_file() and (replica / "site" / "robots.txt").is_file() and (replica / "routes.json").is_file()
    assert not (PROJECT_DIR / "newscrawler" / "outlets" / f"{NAME}.py").exists()
    assert 'sample_article="/news/1001"' in module.read_text("utf-8") and "TODO" in module.read_text("utf-8")
    again = run("-m", "newscrawler.cli", "new-outlet", NAME, "--home", "https://www.alsumaria.tv")
    assert again.returncode == 2 and "already exists" in again.stderr

    listed = run("-m", "scrapy", "list")
    assert NAME in listed.stdout.split(), listed.stderr[-2000:]

    crawled = run("-m", "newscrawler.cli", "crawl", NAME, "--replicas", "tests/replicas")
    assert crawled.returncode == 0, (crawled.stdout + crawled.stderr)[-3000:]
    [want] = json.loads((replica / "expected.json").read_text("utf-8"))["articles"]
    [doc] = list(store.articles.find({"outlet": NAME}))
    assert doc["title"] == want["title"] == "مقال نموذجي لمنفذ السومرية: استبدل هذه الصفحة بنسخة من مقال حقيقي"
    assert doc["published_at"].strftime("%Y-%m-%dT%H:%M:%SZ") == want["published_at"]
    assert token_prf(doc["text"], want["text"])[2] >= 0.98
    assert doc["canonical_url"].endswith("/news/1001")

    checked = run("-m", "newscrawler.cli", "check", NAME, "--replicas", "tests/replicas", "-v")
    assert checked.returncode == 0, (checked.stdout + checked.stderr)[-3000:]
    assert f"[{NAME}] parse (@article post-hook) ... ok" in checked.stderr

    # What the suite demands of every outlet (tests/test_e2e_outlets.py), run on the copy.
    e2e = run("-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_e2e_outlets.py",
              "-k", f"{NAME} or every_declared_outlet_has_a_replica")
    assert e2e.returncode == 0, e2e.stdout[-3000:]
    assert "2 passed" in e2e.stdout

    table = run("-m", "newscrawler.cli", "outlets", "--markdown")
    assert f"| {NAME} | السومرية | https://www.alsumaria.tv | ar | feed | no | no | yes |" in table.stdout
