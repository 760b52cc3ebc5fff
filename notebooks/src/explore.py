# %% [markdown]
# # Explore a run
#
# Pick a run (`runs/<experiment>/<id>` with `checkpoints/best.pt`) and a query: see its
# top-k gallery (green = true match, red = false), toggle k-reciprocal re-ranking, see
# the query's mask, the mask after the MPM stem's two mask-pooling steps at a threshold
# you slide (MPM-LTL sec. III-C, Fig. 5) and, for MGCAM runs, the learned attention map
# (MGCAM eq. 3-4). Logic: `reidlib.study.explore`. Run it in JupyterLab for the widgets;
# under papermill (the stored defaults) it trains or reuses a smoke `mpm_ltl` run and
# renders one static view.

# %%
from reidlib.study.notebook import Notebook

nb = Notebook(globals(), "explore")

# %% tags=["parameters"]
run = None           # "<experiment>/<id>" under runs/; None = train or reuse `experiment` below
experiment = "mpm_ltl"   # engine experiment trained when run is None
profile = "smoke"    # its profile (smoke | quick | cpu | paper)
seed = 0             # its seed
query = 0            # query index shown first
k = 10               # gallery images shown
rerank = False       # k-reciprocal re-ranking (k1 20, k2 6, lambda 0.3)
threshold = 0.4      # mask-pooling threshold of the pooled-mask panel, 0..1

# %%
import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import display

from reidlib.study.explore import (compute_features, ensure_run, list_runs, load_run, maps_figure, model_maps,
                                   topk_figure)
from reidlib.study.notebook_params import ExploreParams

params = nb.params(ExploreParams)
name = params.run or ensure_run(params.experiment, params.profile, params.seed)
loaded = load_run(name)
feats = compute_features(loaded)
print(f"run {loaded.name}: {len(loaded.query)} queries, {len(loaded.gallery)} gallery images")

# %% [markdown]
# ## One static view (the parameters above)

# %%
_ = topk_figure(loaded, feats, params.query, params.k, params.rerank)
plt.show()
_ = maps_figure(model_maps(loaded, params.query), params.threshold)
plt.show()

# %% [markdown]
# ## Interactive (JupyterLab): run, query, re-ranking, threshold

# %%
state = {"name": loaded.name, "run": loaded, "feats": feats}


def _ensure(run_name):
    if run_name != state["name"]:
        state.update(name=run_name, run=load_run(run_name))
        state["feats"] = compute_features(state["run"])


def _view(run_name, q, top_k, rr, t):
    _ensure(run_name)
    topk_figure(state["run"], state["feats"], min(q, len(state["run"].query) - 1), top_k, rr)
    maps_figure(model_maps(state["run"], min(q, len(state["run"].query) - 1)), t)
    plt.show()


controls = dict(
    run_name=widgets.Dropdown(options=sorted(set(list_runs()) | {loaded.name}), value=loaded.name, description="run"),
    q=widgets.IntSlider(params.query, 0, len(loaded.query) - 1, description="query"),
    top_k=widgets.IntSlider(params.k, 1, 20, description="top-k"),
    rr=widgets.Checkbox(params.rerank, description="re-ranking"),
    t=widgets.FloatSlider(params.threshold, min=0.0, max=1.0, step=0.05, description="threshold"))
out = widgets.Output()


def _refresh(_change=None):
    with out:
        out.clear_output(wait=True)
        _view(**{key: w.value for key, w in controls.items()})


for w in controls.values():
    w.observe(_refresh, names="value")
display(widgets.VBox([widgets.HBox(list(controls.values())[:3]), widgets.HBox(list(controls.values())[3:])]), out)
