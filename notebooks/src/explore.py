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
run = None           # "<experiment>/<id>" under runs/; None: train or reuse `experiment` below
experiment = "mpm_ltl"   # engine experiment trained when run is None
profile = "smoke"    # its profile (smoke | quick | full | paper)
seed = 0             # its seed
query = 0            # query index shown first
k = 10               # gallery images shown
rerank = False       # k-reciprocal re-ranking (k1 20, k2 6, lambda 0.3)
threshold = 0.4      # mask-pooling threshold of the pooled-mask panel, 0..1

# %%
import matplotlib.pyplot as plt

from reidlib.study.explore import compute_features, ensure_run, load_run, maps_figure, model_maps, query_label, topk_figure
from reidlib.study.explorer_widget import Explorer
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
_ = maps_figure(model_maps(loaded, params.query), params.threshold,
                title=f"{loaded.name}: {query_label(feats, params.query)}")
plt.show()

# %% [markdown]
# ## Interactive (JupyterLab): run, query, top-k, re-ranking, threshold
#
# The explorer draws its first view at once and redraws on every change
# (`reidlib.study.explorer_widget.Explorer`).

# %%
explorer = Explorer(loaded, feats, query=params.query, k=params.k, rerank=params.rerank,
                    threshold=params.threshold, k_max=max(20, params.k))
explorer
