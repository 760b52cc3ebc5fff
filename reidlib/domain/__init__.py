"""Cross-domain re-ID: ECN's exemplar memory and SemParts' semantic parts.

``run_cross_domain(source, target, method)`` trains ``direct`` | ``ecn`` | ``ecn_parts`` |
``supervised`` (see :mod:`reidlib.domain.adaptation`) and returns rank1/5/10 and mAP.
"""
from .adaptation import METHODS, MemoryEpochHook, build_cross_domain_trainer, load_domain, train_cross_domain
from .camstyle import FolderCamStyle, StatsCamStyle, camstyle_batch
from .exemplar_memory import ExemplarMemory, memory_update, neighbourhood_weights
from .runs import resolve_cross_domain, run_cross_domain, trainer_options
from .streams import CrossDomainBatchSampler, CrossDomainDataset, LimitedSampler, TwoStreamModel, strip_labels

__all__ = ["METHODS", "MemoryEpochHook", "build_cross_domain_trainer", "load_domain", "run_cross_domain",
           "train_cross_domain", "trainer_options",
           "FolderCamStyle", "StatsCamStyle", "camstyle_batch", "ExemplarMemory", "memory_update",
           "neighbourhood_weights", "resolve_cross_domain", "CrossDomainBatchSampler", "CrossDomainDataset", "LimitedSampler",
           "TwoStreamModel", "strip_labels"]
