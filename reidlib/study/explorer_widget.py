"""The ``explore`` notebook's widget: run, query, top-k, re-ranking and threshold controls over one view.

:class:`Explorer` holds a loaded run (:func:`reidlib.study.explore.load_run`) and its
features, five controls (run, ``query #`` = the query's index, top-k, re-ranking,
mask-pooling threshold) and one ``Output`` area. It draws the first view when it is
built, so a notebook run top to bottom ("Run All", papermill) shows it, and redraws on
every control change. The last drawn figures are :attr:`Explorer.topk_fig` and
:attr:`Explorer.maps_fig` (tests read their titles; ipywidgets' value setting and
observers work without a kernel). In a notebook::

    explorer = Explorer(loaded, feats, query=0, k=10)
    explorer            # or display(explorer.box)
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from reidlib.study.explore import (Features, LoadedRun, compute_features, list_runs, load_run, maps_figure,
                                   model_maps, query_label, topk_figure)

#: the largest top-k the slider offers (the gallery wraps into rows of 10)
K_MAX = 20


class Explorer:
    """Controls + output area over one run (see the module docstring).

    ``run``: a :class:`LoadedRun` or a ``"<experiment>/<id>"`` name under ``runs_root``;
    ``feats`` its features (computed if ``None``); ``runs``: the names the run menu offers
    (default: :func:`list_runs` of ``runs_root``, plus the given run).
    """

    def __init__(self, run: LoadedRun | str | Path, feats: Features | None = None, *, query: int = 0,
                 k: int = 10, rerank: bool = False, threshold: float = 0.4, runs: Sequence[str] | None = None,
                 runs_root: str | Path | None = None, k_max: int = K_MAX):
        import ipywidgets as widgets

        self.runs_root = runs_root
        if not isinstance(run, LoadedRun):
            run = load_run(run, runs_root)
        self.run = run
        self.feats = feats if feats is not None else compute_features(run)
        self._loaded: dict[str, tuple[LoadedRun, Features]] = {run.name: (run, self.feats)}
        self._maps: dict[tuple[str, int], dict] = {}
        names = sorted(set(list_runs(runs_root) if runs is None else runs) | {run.name})
        n_query = len(self.feats.q_pids)
        if not 0 <= query < n_query:
            raise IndexError(f"query #{query} out of range: the run has {n_query} queries (0..{n_query - 1})")
        if not 1 <= k <= k_max:
            raise ValueError(f"k must be in 1..{k_max}, got {k}")
        self.controls: dict[str, Any] = {
            "run": widgets.Dropdown(options=names, value=run.name, description="run"),
            "query": widgets.IntSlider(query, 0, n_query - 1, description="query #"),
            "k": widgets.IntSlider(k, 1, k_max, description="top-k"),
            "rerank": widgets.Checkbox(rerank, description="re-ranking"),
            "threshold": widgets.FloatSlider(threshold, min=0.0, max=1.0, step=0.05, description="threshold"),
        }
        self.label = widgets.HTML()
        self.output = widgets.Output()
        c = self.controls
        self.box = widgets.VBox([widgets.HBox([c["run"], c["query"], c["k"]]),
                                 widgets.HBox([c["rerank"], c["threshold"], self.label]), self.output])
        self.topk_fig: Any = None
        self.maps_fig: Any = None
        self.draws = 0
        self._quiet = False
        for w in c.values():
            w.observe(self._changed, names="value")
        self.refresh()

    # -- state -------------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """The controls' current values, by name (run, query, k, rerank, threshold)."""
        return {name: w.value for name, w in self.controls.items()}

    def _switch(self, name: str) -> None:
        if name not in self._loaded:
            run = load_run(name, self.runs_root)
            self._loaded[name] = (run, compute_features(run))
        self.run, self.feats = self._loaded[name]
        q = self.controls["query"]
        self._quiet = True                        # the clamp below must not draw the old run
        try:
            q.value = min(q.value, len(self.feats.q_pids) - 1)
            q.max = len(self.feats.q_pids) - 1
        finally:
            self._quiet = False

    def _changed(self, change: dict) -> None:
        if self._quiet:
            return
        if change["owner"] is self.controls["run"]:
            try:
                self._switch(change["new"])
            except Exception:
                self._quiet = True                # back to the run still shown
                self.controls["run"].value = change["old"]
                self._quiet = False
                with self.output:                 # in a kernel the error shows here, not in the log
                    raise
        self.refresh()

    def _model_maps(self, index: int) -> dict:
        key = (self.run.name, index)
        if key not in self._maps:
            self._maps[key] = model_maps(self.run, index)
        return self._maps[key]

    # -- drawing ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """Draw the view of the current control values into :attr:`output`."""
        import matplotlib.pyplot as plt

        v = self.values()
        with self.output:
            topk = topk_figure(self.run, self.feats, v["query"], v["k"], v["rerank"])
            maps = maps_figure(self._model_maps(v["query"]), v["threshold"],
                               title=f"{self.run.name} \u2014 {query_label(self.feats, v['query'])}")
            for old in (self.topk_fig, self.maps_fig):
                if old is not None:
                    plt.close(old)
            plt.close(topk)                       # shown once, in the output area, not again at cell end
            plt.close(maps)
            self.topk_fig, self.maps_fig = topk, maps
            self.draws += 1
            self.label.value = (f"{query_label(self.feats, v['query'])} of {len(self.feats.q_pids)}; "
                                f"{len(self.feats.g_pids)} gallery images")
            self.output.clear_output(wait=True)
            if _in_ipython():
                from IPython.display import display

                display(topk, maps)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)


def _in_ipython() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None
