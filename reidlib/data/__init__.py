"""Data: readers of the real re-ID data sets, SynthReID, image I/O, samplers, transforms.

Readers return :class:`~reidlib.data.base.ReIDDataset` (records with ``path, pid,
camid, mask_path, parts_path, split``); :func:`build_dataset` picks one by name.
"""
from .base import DatasetLayoutError, ReIDDataset, Record, data_root
from .readers import DATASETS, build_dataset

__all__ = ["DATASETS", "DatasetLayoutError", "ReIDDataset", "Record", "build_dataset", "data_root"]
