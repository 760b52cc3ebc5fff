"""Registry of the real re-ID data set readers and :func:`build_dataset`.

Default roots (under :func:`reidlib.data.base.data_root`, i.e. ``$REIDLIB_DATA``
or ``./data``):

=============== ============================ =========================================
name            folder                       reader
=============== ============================ =========================================
market1501      ``Market-1501-v15.09.15``    :func:`reidlib.data.market.read_market1501`
dukemtmcreid    ``DukeMTMC-reID``            :func:`reidlib.data.duke.read_dukemtmcreid`
cuhk03          ``cuhk03`` (holds            :func:`reidlib.data.cuhk03.read_cuhk03`
                ``cuhk03_release/``)
mars            ``MARS``                     :func:`reidlib.data.mars.read_mars`
cuhk01          ``cuhk01``                   :func:`reidlib.data.cuhk01.read_cuhk01`
viper           ``VIPeR``                    :func:`reidlib.data.viper.read_viper`
synthreid       ``SynthReID``                :func:`reidlib.data.synthreid.read_synthreid`
=============== ============================ =========================================
"""
from __future__ import annotations

import os
from typing import Any, Callable

from .base import ReIDDataset, data_root
from .cuhk01 import read_cuhk01
from .cuhk03 import read_cuhk03
from .duke import read_dukemtmcreid
from .market import read_market1501
from .mars import read_mars
from .synthreid import read_synthreid
from .viper import read_viper

__all__ = ["DATASETS", "DEFAULT_FOLDERS", "build_dataset"]

DATASETS: dict[str, Callable[..., ReIDDataset]] = {
    "market1501": read_market1501,
    "dukemtmcreid": read_dukemtmcreid,
    "cuhk03": read_cuhk03,
    "mars": read_mars,
    "cuhk01": read_cuhk01,
    "viper": read_viper,
    "synthreid": read_synthreid,
}

DEFAULT_FOLDERS: dict[str, str] = {
    "market1501": "Market-1501-v15.09.15",
    "dukemtmcreid": "DukeMTMC-reID",
    "cuhk03": "cuhk03",
    "mars": "MARS",
    "cuhk01": "cuhk01",
    "viper": "VIPeR",
    "synthreid": "SynthReID",
}


def build_dataset(name: str, root: str | os.PathLike | None = None, **kwargs: Any) -> ReIDDataset:
    """Read data set ``name`` from ``root`` (default ``data_root()/<DEFAULT_FOLDERS[name]>``).

    ``kwargs`` go to the reader (e.g. ``image_type``/``protocol`` for cuhk03,
    ``split``/``seed`` for cuhk01 and viper). Unknown names raise ``KeyError``.
    """
    key = str(name).lower()
    if key not in DATASETS:
        raise KeyError(f"unknown dataset {name!r}; valid: {', '.join(sorted(DATASETS))}")
    if root is None:
        root = data_root() / DEFAULT_FOLDERS[key]
    return DATASETS[key](root, **kwargs)
