from dataclasses import dataclass

import pytest

from reidlib.study.params import collect_params


@dataclass
class P:
    profile: str = "smoke"
    seeds: int = 1


def test_collect_params_takes_new_globals_only() -> None:
    ns = {"np": __import__("numpy"), "x_old": 3}
    before = set(ns)
    ns.update(profile="quick", seeds=3, _private=1)
    p = collect_params(P, ns, before)
    assert p == P("quick", 3)


def test_unknown_parameter_lists_valid_ones() -> None:
    ns: dict = {}
    before = set(ns)
    ns.update(profile="quick", seeeds=3)
    with pytest.raises(ValueError, match=r"seeeds.*valid parameters: \['profile', 'seeds'\]"):
        collect_params(P, ns, before)
