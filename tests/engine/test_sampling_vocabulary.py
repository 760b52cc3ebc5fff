"""One miner vocabulary: bank miners in ``miner.name``, batch miners as a triplet term's keyword."""
import pytest

from reidlib.engine.experiment import resolve_config, validate_config
from reidlib.miners import BANK_MINERS, BATCH_MINERS


def test_one_vocabulary_and_random_means_the_bank_miner() -> None:
    assert set(BANK_MINERS).isdisjoint(BATCH_MINERS) and "random" in BANK_MINERS
    validate_config(resolve_config("mpm_ltl", "smoke", {"miner.name": "random"}))
    validate_config(resolve_config("mpm_ltl", "smoke", {"sampler.name": "pk", "miner.name": "none",
                                                        "losses.local_triplet.miner": "batch_random"}))


def test_a_batch_miner_in_miner_name_says_where_it_belongs() -> None:
    cfg = resolve_config("mpm_ltl", "smoke", {"sampler.name": "pk", "miner.name": "batch_hard"})
    with pytest.raises(KeyError, match=r"triplet term's keyword \(losses.<term>.kwargs.miner=batch_hard\)"):
        validate_config(cfg)
    with pytest.raises(KeyError, match="valid miner.name: trihard, random, none"):
        validate_config(resolve_config("mpm_ltl", "smoke", {"miner.name": "hardest"}))
