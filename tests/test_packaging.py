"""The conda environment and the pip project pin the same torch / torchvision / Python."""
from __future__ import annotations

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]


def _pyproject_deps() -> dict[str, str]:
    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    out = {}
    for dep in data["project"]["dependencies"]:
        m = re.match(r"([A-Za-z0-9_.\-]+)\s*(.*)", dep)
        out[m.group(1).lower()] = m.group(2).strip()
    return out


def test_environment_yml_pins_match_pyproject() -> None:
    env = (REPO / "environment.yml").read_text()
    deps = _pyproject_deps()
    for name in ("torch", "torchvision"):
        assert deps[name].startswith("=="), f"{name} must be pinned in pyproject.toml"
        assert f"- {name}{deps[name]}" in env, f"environment.yml must pin {name}{deps[name]}"
    assert re.search(r"- python=3\.11\b", env)
    assert "- -e ." in env
    for name in ("jupyterlab", "papermill", "nbval", "ipywidgets", "matplotlib", "seaborn", "pandas"):
        assert re.search(rf"- {name}\b", env), f"environment.yml lacks {name}"


def test_environment_yml_installs_the_test_and_notebook_extras() -> None:
    """Issue 13 item 10: a conda user can run the tests (pytest was missing) and the notebooks."""
    env = (REPO / "environment.yml").read_text()
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    listed = {m.group(1).lower(): (m.group(2) or "").strip()
              for m in re.finditer(r"^\s*-\s+([A-Za-z0-9_.\-]+)\s*([<>=!~][^#\n]*)?$", env, re.M)}
    for extra in ("test", "notebooks"):
        for dep in extras[extra]:
            name, spec = re.match(r"([A-Za-z0-9_.\-]+)\s*(.*)", dep).groups()
            assert name.lower() in listed, f"environment.yml lacks {dep} (pyproject [{extra}] extra)"
            assert listed[name.lower()] == spec.strip(), \
                f"environment.yml has {name}{listed[name.lower()]}, pyproject [{extra}] {dep}"


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text()
    readme = (REPO / "README.md").read_text()
    assert "make test" in ci
    assert "make test" in readme and "make study" in readme


def _missing_links(doc: Path) -> tuple[int, list[str]]:
    """How many file links ``doc`` has (``](path)``, not a URL or an anchor, relative to its
    folder) and which of them are not in the repository."""
    targets = {t.split("#")[0] for t in re.findall(r"\]\(([^)\s]+)\)", doc.read_text())
               if not t.startswith(("http://", "https://", "#", "mailto:"))}
    return len(targets), sorted(t for t in targets if not (doc.parent / t).exists())


def test_readme_and_summaries_link_to_files_that_exist() -> None:
    """Every figure and file the README, the committed summaries and the checks' READMEs link to
    is in the repository, so a figure dropped from ``figures/`` cannot stay linked."""
    n, missing = _missing_links(REPO / "README.md")
    assert n, "the README links no file: the pattern no longer matches its links"
    assert not missing, f"README.md links to files not in the repository: {missing}"
    for doc in [*REPO.glob("runs/*/summary.md"), *REPO.glob("runs/*/checks/*/README.md")]:
        missing = _missing_links(doc)[1]
        assert not missing, f"{doc.relative_to(REPO)} links to missing files: {missing}"
