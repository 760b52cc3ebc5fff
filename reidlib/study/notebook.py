"""The one object a study notebook talks to: parameters, banner, rows, runs, result record.

Every experiment notebook has the same four steps, and this module is where they live
(so a notebook holds a parameters cell, calls, tables and plots)::

    nb = Notebook(globals(), "E3_mask_threshold")     # first code cell, before the parameters
    profile = "smoke"; seeds = None; ...               # the cell tagged "parameters"
    params = nb.params(ThresholdParams)                # values read by name; banner printed
    tidy = nb.run(rows)                                # rows x seeds -> tidy results
    nb.finish(title, {"Fig. 7": table}, claim=..., verdict=..., figures=[...], tidy=tidy)

Parameters are read from the notebook's namespace *by the dataclass's field names* on
every call, so editing the parameters cell and running all cells again in the same kernel
uses the new values. A name that appeared after the first cell and is not a field (a
misspelt papermill ``-p seeeds 3``) is an error listing the valid names.

:meth:`Notebook.finish` stores the result (:func:`reidlib.study.report.write_result`) and
prints :func:`reidlib.study.structure.describe_result`: the only output ``make test``
(nbval) compares, because it does not depend on float rounding (see that module).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import types
from typing import Any, Callable, Mapping, Sequence, TypeVar

import pandas as pd

from reidlib import paths
from reidlib.study.experiments import Row, data_overrides, rows_for, run_rows, sweep_rows, with_defaults, with_overrides

T = TypeVar("T")

#: the profile whose committed results the README and the banners point to (``make study``)
DEFAULT_PROFILE = "quick"
#: the study's committed summaries, relative to ``notebooks/``
SUMMARIES = ("../runs/quick/summary.md", "../runs/full/summary.md")


def collect(spec: type[T], namespace: Mapping[str, Any], before: set[str] | None = None) -> T:
    """Build the dataclass ``spec`` from ``namespace``: each field takes the namespace's value
    of its name (the dataclass default where the name is absent). With ``before`` (the names
    present before the parameters cell ran), a new public name that is not a field raises
    ``ValueError`` naming it and the valid parameters (modules, functions, classes and
    UPPER_CASE constants imported beside the call are not parameters)."""
    if not dataclasses.is_dataclass(spec):
        raise TypeError(f"{spec!r} is not a dataclass")
    fields = [f.name for f in dataclasses.fields(spec)]
    if before is not None:
        unknown = sorted(k for k, v in namespace.items()
                         if k not in before and k not in fields and not k.startswith("_") and not k.isupper()
                         and not isinstance(v, (types.ModuleType, types.FunctionType, type)))
        if unknown:
            raise ValueError(f"unknown parameter(s) {unknown} for {spec.__name__}; "
                             f"valid parameters: {sorted(fields)}")
    return spec(**{k: namespace[k] for k in fields if k in namespace})


#: parameters :func:`run_as` records on their own (``data_root`` is where ``dataset`` lives)
_RUN_AS_OWN = ("profile", "seeds", "overrides", "dataset", "data_root")


def changed_params(params: Any) -> dict[str, Any]:
    """The notebook parameters (a dataclass of :mod:`reidlib.study.notebook_params`) set to other
    values than their defaults, but for :data:`_RUN_AS_OWN`: ``{"methods": ["mpm"]}``."""
    if not dataclasses.is_dataclass(params):
        return {}
    out = {}
    for f in dataclasses.fields(params):
        if f.name in _RUN_AS_OWN:
            continue
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        value = getattr(params, f.name)
        if value != default:
            out[f.name] = value
    return out


def dataset_of(params: Any) -> str:
    """The data set a notebook's parameters name: ``"synth"`` unless they name a real one."""
    return str(getattr(params, "dataset", "synth") or "synth")


def run_as(params: Any) -> dict[str, Any] | None:
    """How a notebook ran, for its result record: ``{"definition": the profile's fields now
    (:meth:`reidlib.engine.profiles.Profile.to_dict`), "seeds": the seeds it ran, "overrides": the
    notebook's engine overrides, "dataset": its data set (``"synth"`` unless the notebook names
    a real one), "params": its other parameters set away from their defaults (a subset of rows,
    families or methods: :func:`changed_params`)}``; ``None`` for a profile name outside the registry."""
    from reidlib.engine.profiles import get_profile

    try:
        definition = get_profile(str(getattr(params, "profile", ""))).to_dict()
    except KeyError:
        return None
    seeds = getattr(params, "seeds", None)
    return {"definition": definition, "seeds": [int(s) for s in (definition["seeds"] if seeds is None else seeds)],
            "overrides": dict(getattr(params, "overrides", None) or {}),
            "dataset": dataset_of(params), "params": changed_params(params)}


def banner(experiment: str, params: Any) -> str:
    """What the stored outputs are: a smoke check of the code, or a study run (markdown)."""
    profile = getattr(params, "profile", "?")
    seeds = getattr(params, "seeds", None)
    masks = getattr(params, "masks", "")
    if masks is None:
        masks = "extracted" if dataset_of(params) == "synth" else "mirror"
    mask_txt = {"extracted": f" Masks: extracted by `{getattr(params, 'segmenter', '?')}`, as the papers had them.",
                "true": " Masks: SynthReID's ground truth (an upper bound: the papers had a segmenter's).",
                "mirror": " Masks: the data set's mask mirror (written by `python -m reidlib masks`).",
                "none": " No masks."}.get(masks, "")
    links = " and ".join(f"[`{s[3:]}`]({s})" for s in SUMMARIES)
    if profile == "smoke":
        return (f"**`{experiment}`, profile `smoke`: a check that the code runs (tiny SynthReID, "
                f"one seed, a few training steps). Its numbers are not results.** The study's results: "
                f"{links}; run `make study` or set `profile = \"{DEFAULT_PROFILE}\"` above.{mask_txt}")
    seed_txt = f"seeds {list(seeds)}" if seeds is not None else "the profile's seeds"
    return (f"**`{experiment}`, profile `{profile}`, {seed_txt}.** Results are recorded under "
            f"`runs/{profile}/results/{experiment}/`; the study's summaries: {links}.{mask_txt}")


def _show(markdown: str) -> None:
    try:
        from IPython import get_ipython

        if get_ipython() is not None:
            from IPython.display import Markdown, display

            display(Markdown(markdown))
            return
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        pass
    print(markdown)


class Notebook:
    """One experiment notebook's session (see the module docstring).

    ``namespace`` is the notebook's ``globals()``; ``experiment`` the name its result is
    stored under (``runs/<profile>/results/<experiment>/``), conventionally the file's stem.
    """

    def __init__(self, namespace: dict[str, Any], experiment: str) -> None:
        self.namespace = namespace
        self.experiment = experiment
        self._before = set(namespace)
        self.p: Any = None

    def params(self, spec: type[T], show_banner: bool = True) -> T:
        """The notebook's parameters as ``spec`` (read by name, see :func:`collect`); shows the banner."""
        mine = {k for k, v in self.namespace.items() if v is self}   # ``nb = Notebook(...)`` itself
        self.p = collect(spec, self.namespace, self._before | mine)
        if show_banner:
            _show(banner(self.experiment, self.p))
        return self.p

    def _need_params(self) -> Any:
        if self.p is None:
            raise RuntimeError("call nb.params(<ParamsClass>) after the parameters cell first")
        return self.p

    @property
    def dataset(self) -> str:
        """The data set the notebook runs on (:func:`dataset_of` its parameters)."""
        return dataset_of(self._need_params())

    @property
    def result_id(self) -> str:
        """Where :meth:`finish` stores the result: ``runs/<profile>/results/<result_id>/``. The
        experiment on SynthReID, ``<experiment>.<dataset>`` on a real data set, so E2 on Market
        and E2 on Duke under one profile keep both results (and never replace SynthReID's)."""
        return self.experiment if self.dataset == "synth" else f"{self.experiment}.{self.dataset}"

    @property
    def partial_key(self) -> str | None:
        """``None`` when the notebook runs its rows as the profile defines them (the profile's
        seeds, no engine overrides, every parameter at its default; the data set is in
        :attr:`result_id`); else ``"partial-<8 hex>"``, a hash of how it runs otherwise and of the
        profile's definition, so a partial run made after the profile changed (a family's recipe
        length, say) is stored beside the one made before, not over it."""
        ra = run_as(self._need_params()) or {}
        how = {k: ra.get(k) for k in ("seeds", "overrides", "params")}
        profile_seeds = (ra.get("definition") or {}).get("seeds") or []
        if not how["overrides"] and not how["params"] and sorted(how["seeds"] or []) == sorted(profile_seeds):
            return None
        keyed = {**how, "definition": ra.get("definition")}
        digest = hashlib.sha256(json.dumps(keyed, sort_keys=True, default=str).encode()).hexdigest()
        return f"partial-{digest[:8]}"

    @property
    def stored_under(self) -> str:
        """The sub-folder of ``runs/<profile>/results/<result_id>/`` :meth:`finish` writes to: ``""``,
        or ``partial/<partial_key>`` for a partial run when a result run otherwise (the profile's
        own, or a partial one of other seeds, overrides or parameters) is stored there already, so
        a subset run never replaces the result the summary shows (nothing silently overwritten)."""
        key = self.partial_key
        stored = paths.runs_dir() / self._need_params().profile / "results" / self.result_id / "result.json"
        if key is None or not stored.is_file():
            return ""
        was = json.loads(stored.read_text()).get("run_as") or {}
        mine = {k: v for k, v in (run_as(self.p) or {}).items() if k != "definition"}
        return "" if {k: was.get(k) for k in mine} == mine else f"partial/{key}"

    def figure_name(self, stem: str) -> str:
        """A figure's file name (:func:`reidlib.study.figures.save_figure`): ``<stem>_<profile>``,
        and ``_<dataset>`` after it on a real data set, as :attr:`result_id`; ``_<partial_key>``
        after that for a partial run stored beside another result (:attr:`stored_under`)."""
        name = f"{stem}_{self._need_params().profile}"
        name = name if self.dataset == "synth" else f"{name}_{self.dataset}"
        return f"{name}_{self.partial_key}" if self.stored_under else name

    def rows(self, experiment_id: str, labels: Sequence[str] | None = None) -> dict[str, Row]:
        """The study's rows of ``experiment_id`` (``reidlib.study.rows.ROWS``) with the
        parameters' data set, root and overrides applied; ``labels`` picks some, in order."""
        p = self._need_params()
        rows = with_defaults(rows_for(experiment_id, p.dataset, p.data_root, p.overrides), self.mask_defaults())
        if labels is None:
            return rows
        missing = [lab for lab in labels if lab not in rows]
        if missing:
            raise KeyError(f"rows {missing} do not exist in {experiment_id}; valid: {', '.join(rows)}")
        return {lab: rows[lab] for lab in labels}

    def with_data(self, rows: Mapping[str, Row]) -> dict[str, Row]:
        """``rows`` built in the notebook with the parameters' data set, root and overrides
        applied to each, as :meth:`rows` does for the catalogue's rows."""
        p = self._need_params()
        return with_defaults(with_overrides(rows, data_overrides(p.dataset, p.data_root, p.overrides)),
                             self.mask_defaults())

    def mask_defaults(self) -> dict[str, Any]:
        """``{"data.masks": ..., "data.segmenter": ...}`` from the parameters (``ExperimentParams``),
        the default of every row that does not choose its masks itself; ``{}`` without them."""
        p = self._need_params()
        if not hasattr(p, "masks"):
            return {}
        masks = p.masks or ("extracted" if self.dataset == "synth" else "true")
        out = {"data.masks": masks}
        if masks == "extracted":
            out["data.segmenter"] = p.segmenter
        return out

    def sweep(self, column: str, values: Sequence[Any], row: Callable[[Any], tuple[str, Mapping[str, Any]]],
              label: Callable[[Any], str] | None = None) -> dict[str, Row]:
        """One row per swept value, the value kept as the tidy column ``column``
        (:func:`reidlib.study.experiments.sweep_rows`), on the parameters' data."""
        return self.with_data(sweep_rows(column, values, row, label))

    def run(self, rows: Mapping[str, Row]) -> pd.DataFrame:
        """Train / evaluate every row for the parameters' profile and seeds -> tidy results
        (one line per row and seed; :func:`reidlib.study.experiments.run_rows`)."""
        p = self._need_params()
        return run_rows(rows, p.profile, p.seeds)

    def finish(self, title: str, table: pd.DataFrame, *, claim: str = "", verdict: str = "",
               figures: Sequence[str] = (), tidy: pd.DataFrame | None = None,
               also: Mapping[str, pd.DataFrame] | None = None) -> str:
        """Store the result (``table`` is what the study summary shows) and print its structural
        check (the cell nbval compares), covering ``table`` and the ``also`` tables (verdicts...)."""
        from reidlib.study.report import write_result
        from reidlib.study.structure import describe_result

        p = self._need_params()
        if self.dataset != "synth":
            title = f"{title} [{self.dataset}]"
        under = self.stored_under
        out = write_result(self.result_id, p.profile, title, table, claim=claim, verdict=verdict,
                           figures=list(figures), tidy=tidy, run_as=run_as(p), under=under)
        text = describe_result(self.result_id, p.profile, {"result": table, **dict(also or {})}, verdict,
                               list(figures), out, tidy)
        if under:
            text += (f"\nstored beside the result run otherwise (which stays, and is what the summary shows): "
                     f"runs/{p.profile}/results/{self.result_id}/{under}/")
        print(text)
        return text
