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
