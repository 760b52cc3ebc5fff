"""The study's rows: compared rows share what the comparison is not about (MPM-LTL / MGCAM)."""
import pytest

from reidlib.engine.experiment import resolve_config
from reidlib.study.rows import ROWS


@pytest.mark.parametrize("table", ["E1", "E9"])
def test_mscan_and_mgcam_rows_share_the_sampler(table):
    """E1 / E9 compare MSCAN with MGCAM (MGCAM Tables 2-3): a different batch sampler
    (P x K against Siamese pairs) would be a second difference between the rows."""
    samplers = {label: resolve_config(exp, "smoke", overrides)["sampler"]
                for label, (exp, overrides) in ROWS[table].items()}
    assert len({(s["name"], tuple(sorted(s["kwargs"].items()))) for s in samplers.values()}) == 1, samplers
    assert any(label.startswith("MSCAN") for label in samplers)
    assert any(label.startswith("MGCAM") for label in samplers)


def test_every_row_resolves_and_names_an_engine_experiment():
    for table, rows in ROWS.items():
        for label, (exp, overrides) in rows.items():
            cfg = resolve_config(exp, "smoke", overrides)
            assert cfg["experiment"] == exp, (table, label)
