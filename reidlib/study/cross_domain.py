"""The E10 cross-domain grid (SemParts Tables 1-4): directions x methods x seeds.

SemParts (sec. 4, Tables 1-4) reports rank-1/5/10 and mAP of ECN and ECN + semantic
parts for Duke -> Market and Market -> Duke. The study adds direct transfer (the
floor) and the supervised target model (the ceiling), all via
:func:`reidlib.domain.run_cross_domain`.

* :func:`run_cross_domain_grid` -> tidy frame, one line per (direction, method, seed):
  ``row`` (the method's table label, e.g. ``"ECN + parts"``), ``method``, ``direction``
  (``"market->duke"``), ``target`` (the paper's column prefix ``"->Duke"``), ``seed``,
  ``seconds`` and ``sq/rank1, sq/rank5, sq/rank10, sq/mAP`` as fractions in [0, 1]
  (the convention of :func:`reidlib.study.experiments.run_rows`).
* :func:`widen_directions` -> one line per (row, seed) with ``"->Duke:sq/mAP"`` columns,
  so :func:`reidlib.study.experiments.paper_table` renders it beside the paper's
  ``"->Duke mAP"`` columns (:func:`paper_columns`).
* :func:`cross_domain_claims` -> the orderings checked: ECN > direct; ECN + parts > ECN;
  supervised >= every other method (tested as ``supervised > m``), restricted to the
  methods that were run.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Mapping, Sequence

import pandas as pd

from reidlib.study.claims import widen

#: method name of reidlib.domain -> row label of the table (the paper's labels where it has the row)
METHOD_LABELS = {"direct": "direct transfer", "ecn": "ECN", "ecn_parts": "ECN + parts",
                 "supervised": "supervised (target)"}
#: domain name -> the paper's column name
DOMAIN_LABELS = {"market": "Market", "duke": "Duke", "market1501": "Market", "dukemtmcreid": "Duke"}
MEASURES = {"R1": "rank1", "R5": "rank5", "R10": "rank10", "mAP": "mAP"}


def parse_direction(direction: str) -> tuple[str, str]:
    """``"market->duke"`` -> ``("market", "duke")``; both must be known domains and differ."""
    parts = [p.strip() for p in str(direction).split("->")]
    if len(parts) != 2 or not all(parts):
        raise ValueError(f"direction {direction!r} must look like 'source->target', e.g. 'market->duke'")
    bad = [p for p in parts if p not in DOMAIN_LABELS]
    if bad:
        raise KeyError(f"unknown domain(s) {bad} in direction {direction!r}; valid: {', '.join(DOMAIN_LABELS)}")
    if parts[0] == parts[1]:
        raise ValueError(f"direction {direction!r} has the same source and target")
    return parts[0], parts[1]


def target_label(direction: str) -> str:
    """The paper's column prefix of a direction: ``"market->duke"`` -> ``"->Duke"``."""
    return "->" + DOMAIN_LABELS[parse_direction(direction)[1]]


def domain_roots(directions: Sequence[str], data_root: str | None = None) -> dict[str, str]:
    """Folders of the real domains in ``directions``: ``<data_root>/<DEFAULT_FOLDERS[name]>``.

    ``data_root`` ``None`` = ``{}`` (the readers then use ``$REIDLIB_DATA``); SynthReID domains need none.
    """
    if data_root is None:
        return {}
    from pathlib import Path

    from reidlib.data.readers import DEFAULT_FOLDERS

    names = {n for d in directions for n in parse_direction(d) if n in DEFAULT_FOLDERS}
    return {n: str(Path(data_root) / DEFAULT_FOLDERS[n]) for n in sorted(names)}


def _check_methods(methods: Sequence[str]) -> None:
    bad = [m for m in methods if m not in METHOD_LABELS]
    if bad or not methods:
        raise KeyError(f"unknown or no method(s) {bad or list(methods)}; valid: {', '.join(METHOD_LABELS)}")


def run_cross_domain_grid(directions: Sequence[str], methods: Sequence[str], profile: str = "smoke",
                          seeds: Sequence[int] | None = None, roots: Mapping[str, str] | None = None,
                          runner: Callable[..., Mapping[str, float]] | None = None,
                          overrides: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Run every (direction, method, seed); see the module docstring for the columns.

    ``seeds`` ``None`` = the profile's seeds. ``roots`` maps a real domain name to its folder.
    ``runner`` defaults to :func:`reidlib.domain.run_cross_domain` (tests pass a stub), which
    keeps every run in ``runs/cross_domain/<run-id>/`` (the tidy ``run_dir`` column);
    ``overrides`` are its dotted keys (``{"profile.epochs": 4, "adaptation.lam": 0.3}``).
    """
    _check_methods(methods)
    pairs = [(d, *parse_direction(d)) for d in directions]
    if not pairs:
        raise ValueError("no direction given; e.g. directions=['market->duke', 'duke->market']")
    default = runner is None
    if runner is None:
        from reidlib.domain import run_cross_domain as runner
    if seeds is None:
        from reidlib.engine.profiles import get_profile

        seeds = get_profile(profile).seeds
    roots, overrides = dict(roots or {}), dict(overrides or {})
    lines = []
    for direction, src, tgt in pairs:
        for method in methods:
            for seed in seeds:
                start = time.perf_counter()
                where = dict(source_root=roots.get(src), target_root=roots.get(tgt))
                res = runner(src, tgt, method, profile, int(seed), overrides=overrides, **where)
                line = {"row": METHOD_LABELS[method], "method": method, "direction": direction,
                        "target": target_label(direction), "seed": int(seed),
                        "seconds": round(time.perf_counter() - start, 1),
                        **{f"sq/{m}": float(res[m]) / 100.0 for m in MEASURES.values()}}
                if default:
                    from reidlib.domain.runs import EXPERIMENT, resolve_cross_domain
                    from reidlib.engine.runs import run_id

                    cfg = resolve_cross_domain(src, tgt, method, profile, overrides, int(seed), **where)
                    line["run_dir"] = f"{EXPERIMENT}/{run_id(cfg)}"
                lines.append(line)
    return pd.DataFrame(lines)


def widen_directions(tidy: pd.DataFrame) -> pd.DataFrame:
    """One line per (row, seed) with ``"<target>:sq/<measure>"`` columns (see module docstring)."""
    cols = ["row", "seed", "target"] + [f"sq/{m}" for m in MEASURES.values()]
    return widen(tidy[cols], by="target")


def paper_columns(tidy: pd.DataFrame) -> dict[str, str]:
    """Paper column (``"->Duke mAP"``) -> wide column (``"->Duke:sq/mAP"``) for every target run."""
    return {f"{t} {name}": f"{t}:sq/{m}" for t in dict.fromkeys(tidy["target"]) for name, m in MEASURES.items()}


def cross_domain_claims(methods: Sequence[str]) -> list[tuple[str, str]]:
    """``(better, worse)`` row labels: ECN > direct, ECN + parts > ECN, supervised > each other."""
    _check_methods(methods)
    claims = [(b, w) for b, w in (("ecn", "direct"), ("ecn_parts", "ecn")) if b in methods and w in methods]
    if "supervised" in methods:
        claims += [("supervised", m) for m in methods if m != "supervised"]
    return [(METHOD_LABELS[b], METHOD_LABELS[w]) for b, w in claims]
