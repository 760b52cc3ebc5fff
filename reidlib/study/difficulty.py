"""SynthReID's difficulty table (notebook ``00_synthreid``).

Is the synthetic data set hard in the right way? Three questions, per domain style:

1. Is rank-1 *well above chance* (the data carries identity) and *below 100%* (it is not
   trivial)? Chance is the expected rank-1 of a random ranking under the Market-1501
   protocol (:func:`chance_rank1`: per query, the fraction of its valid gallery images —
   neither junk nor same identity and camera — that are true matches, averaged over
   the queries that have a match); ``1 / #gallery identities`` is printed beside it.
2. Does a colour-histogram baseline (:mod:`reidlib.study.baselines`) on the masked image
   beat the full image (the backgrounds mislead colour matching)?
3. Does a small CNN (engine experiment ``ide``, MGCAM Table 2's input kinds) score higher
   with the true mask, as masked RGB or as RGB-M (4-channel input), than on RGB alone?

Row labels: ``"CNN RGB"``, ``"CNN masked RGB"``, ``"CNN RGB-M"``, ``"histogram full image"``,
``"histogram masked"``, each followed by ``" [<domain>]"``. Tidy frames use the
convention of :func:`reidlib.study.experiments.run_rows` (``sq/rank1``... as fractions).
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from reidlib.data.base import ReIDDataset
from reidlib.study.verdict import pointing_the_papers_way

#: CNN input kinds (reidlib.models.inputs) -> table label
CNN_INPUTS = {"rgb": "RGB", "masked_rgb": "masked RGB", "rgbm": "RGB-M"}
DOMAINS = ("market", "duke")


def _label(name: str, domain: str) -> str:
    return f"{name} [{domain}]"


def _check(values: Sequence[str], valid: Sequence[str], what: str) -> None:
    bad = [v for v in values if v not in valid]
    if bad or not values:
        raise KeyError(f"unknown or no {what} {bad or list(values)}; valid: {', '.join(valid)}")


def difficulty_rows(domains: Sequence[str] = DOMAINS, kinds: Sequence[str] = tuple(CNN_INPUTS)
                    ) -> dict[str, tuple[str, dict[str, Any]]]:
    """Rows ``label -> ("ide", overrides)`` of the CNN per input kind and domain (for ``run_rows``)."""
    _check(domains, DOMAINS, "domain(s)")
    _check(kinds, tuple(CNN_INPUTS), "input kind(s)")
    rows = {}
    for d in domains:
        for k in kinds:
            rows[_label(f"CNN {CNN_INPUTS[k]}", d)] = ("ide", {"model.name": f"ide_{k}", "data.domain": d,
                                                               "data.needs_mask": k != "rgb"})
    return rows


def row_domains(rows: Mapping[str, tuple[str, Mapping[str, Any]]]) -> dict[str, str]:
    """Row label -> its domain (``data.domain`` override, default ``"market"``)."""
    return {label: str(ov.get("data.domain", "market")) for label, (_, ov) in rows.items()}


def histogram_results(datasets: Mapping[str, ReIDDataset], evaluate: Callable[..., Mapping[str, Any]] | None = None
                      ) -> pd.DataFrame:
    """The histogram baseline on the full and the masked image per domain (no seeds: it is deterministic).

    ``datasets`` maps a domain to its data set; ``evaluate`` defaults to
    :func:`reidlib.study.baselines.evaluate_histogram` (returns fractions in [0, 1], like
    :func:`reidlib.metrics.evaluate_rank`).
    """
    if evaluate is None:
        from reidlib.study.baselines import evaluate_histogram as evaluate
    lines = []
    for domain, ds in datasets.items():
        for name, use_mask in (("histogram full image", False), ("histogram masked", True)):
            res = evaluate(ds, use_mask=use_mask)
            lines.append({"row": _label(name, domain), "domain": domain, "seed": 0,
                          "sq/rank1": float(res["rank1"]), "sq/mAP": float(res["mAP"])})
    return pd.DataFrame(lines)


def chance_rank1(dataset: ReIDDataset) -> float:
    """Expected rank-1 of a random gallery ranking (see module docstring), a fraction."""
    if not dataset.query or not dataset.gallery:
        raise ValueError(f"data set {dataset.name} has an empty query or gallery split")
    g_pid = np.array([r["pid"] for r in dataset.gallery])
    g_cam = np.array([r["camid"] for r in dataset.gallery])
    probs = []
    for q in dataset.query:
        valid = (g_pid != -1) & ~((g_pid == q["pid"]) & (g_cam == q["camid"]))
        matches = valid & (g_pid == q["pid"])
        if matches.any():
            probs.append(matches.sum() / valid.sum())
    if not probs:
        raise ValueError(f"no query of {dataset.name} has a match in the gallery")
    return float(np.mean(probs))


def chance_table(datasets: Mapping[str, ReIDDataset]) -> pd.DataFrame:
    """Per domain: #query, #gallery identities, ``1/#ids`` and the protocol's chance rank-1 (percent)."""
    lines = []
    for domain, ds in datasets.items():
        ids = {r["pid"] for r in ds.gallery if r["pid"] > 0}
        lines.append({"domain": domain, "query": len(ds.query), "gallery ids": len(ids),
                      "1/ids (%)": round(100.0 / max(len(ids), 1), 2),
                      "chance rank-1 (%)": round(100.0 * chance_rank1(ds), 2)})
    return pd.DataFrame(lines)


def range_verdicts(tidy: pd.DataFrame, domains: Mapping[str, str], chance: Mapping[str, float],
                   factor: float = 2.0, ceiling: float = 0.95, metric: str = "sq/rank1") -> pd.DataFrame:
    """Per row: mean ``metric`` over seeds vs chance; ``well above chance`` = mean >= ``factor`` x chance,
    ``below 100%`` = mean <= ``ceiling``. ``domains``: row -> domain; ``chance``: domain -> fraction."""
    if factor < 1.0 or not 0.0 < ceiling <= 1.0:
        raise ValueError(f"need factor >= 1 and 0 < ceiling <= 1, got factor={factor}, ceiling={ceiling}")
    lines = []
    for row, sub in tidy.groupby("row", sort=False):
        if row not in domains or domains[row] not in chance:
            raise KeyError(f"row {row!r} has no domain or chance level; domains: {dict(domains)}, "
                           f"chance: {dict(chance)}")
        mean, c = float(sub[metric].mean()), float(chance[domains[row]])
        lines.append({"row": row, f"{metric} (%)": round(100 * mean, 1), "chance (%)": round(100 * c, 1),
                      "x chance": round(mean / c, 1) if c > 0 else float("inf"),
                      "well above chance": bool(mean >= factor * c), "below 100%": bool(mean <= ceiling)})
    return pd.DataFrame(lines)


def mask_claims(domains: Sequence[str], cnn_domains: Sequence[str] | None = None,
                kinds: Sequence[str] = tuple(CNN_INPUTS)) -> list[tuple[str, str]]:
    """``(better, worse)``: histogram masked beats full image (each of ``domains``) and each masked
    CNN input beats CNN RGB (each of ``cnn_domains``, default ``domains``; needs ``"rgb"`` in ``kinds``)."""
    claims = []
    for d in domains:
        if d in (domains if cnn_domains is None else cnn_domains) and "rgb" in kinds:
            claims += [(_label(f"CNN {CNN_INPUTS[k]}", d), _label("CNN RGB", d)) for k in kinds if k != "rgb"]
        claims.append((_label("histogram masked", d), _label("histogram full image", d)))
    return claims


def difficulty_verdict(ranges: pd.DataFrame, mask_verdicts: pd.DataFrame) -> str:
    """One sentence from :func:`range_verdicts` and the paired verdicts of :func:`mask_claims`."""
    n = len(ranges)
    above, below = int(ranges["well above chance"].sum()), int(ranges["below 100%"].sum())
    cnn = mask_verdicts[mask_verdicts["paper claims"].str.startswith("CNN")]
    held = int((cnn["verdict"] == "holds").sum())
    rev = cnn.loc[cnn["verdict"] == "reversed", "paper claims"].tolist()
    text = f"Rank-1 is well above chance for {above} of {n} rows and below 100% for {below} of {n}; "
    agree = pointing_the_papers_way(cnn)
    if agree is not None:   # one seed: no spread, no test
        return text + (f"not tested at 1 seed (a paired t-test needs at least 2): the mask helps the CNN "
                       f"at this seed in {agree} of {len(cnn)} comparisons.")
    text += f"the mask helps the CNN beyond the seed spread in {held} of {len(cnn)} comparisons"
    return text + (f" and hurts in: {', '.join(rev)}." if rev else ".")
