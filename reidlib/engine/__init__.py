"""Training engine: one loop with hooks, the papers' recipes, run folders, resume, DDP.

Heavy builders (``experiment``, ``cli``) are imported on demand.
"""
from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .features import evaluate_model, evaluate_protocols, extract_features, pool_by_identity
from .hooks import Checkpointer, CSVLogger, Hook, LossExplodedError, LossGuard, ProgressBar, StopAt
from .loop import LossTerm, Trainer
from .profiles import PROFILES, Profile, get_profile
from .recipes import EXPERIMENTS, RECIPES, get_experiment, get_recipe, register_experiment
from .runs import Run, config_hash, load_run, open_run
from .schedule import Recipe, Stage, build_optimizer, split_param_groups

__all__ = ["CheckpointError", "load_checkpoint", "save_checkpoint", "evaluate_model", "evaluate_protocols",
           "extract_features", "pool_by_identity", "Checkpointer", "CSVLogger", "Hook", "LossExplodedError",
           "LossGuard", "ProgressBar", "StopAt", "LossTerm", "Trainer", "PROFILES", "Profile", "get_profile",
           "EXPERIMENTS", "RECIPES", "get_experiment", "get_recipe", "register_experiment", "Run",
           "config_hash", "load_run", "open_run", "Recipe", "Stage", "build_optimizer", "split_param_groups"]
