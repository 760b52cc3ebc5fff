"""Config by name, not position: loss terms and recipe stages are addressed by their names."""
import pytest

from reidlib.engine.experiment import named_key, resolve_config


def test_terms_and_stages_by_name() -> None:
    c = resolve_config("maskreid", "smoke", {"losses.ranking.alpha": 0.1, "losses.ranking.weight": 0.5,
                                             "recipe.ranking.loss_weights.id": 1.0})
    ranking = next(t for t in c["losses"] if t["name"] == "ranking")
    assert ranking["kwargs"]["alpha"] == 0.1 and ranking["weight"] == 0.5
    assert next(s for s in c["recipe"]["stages"] if s["name"] == "ranking")["loss_weights"]["id"] == 1.0
    assert named_key(c, "recipe.stages.softmax.epochs")[:3] == ["recipe", "stages", 0]
    assert named_key(c, "losses.id.kwargs.label_smoothing") == ["losses", 0, "kwargs", "label_smoothing"]


def test_reordered_losses_keep_their_overrides() -> None:
    base = resolve_config("mpm_ltl", "smoke", {"losses.local_triplet.margin": 0.3})
    flipped = resolve_config("mpm_ltl", "smoke", {"losses": list(reversed(base["losses"])),
                                                 "losses.local_triplet.margin": 0.7})
    assert next(t for t in flipped["losses"] if t["name"] == "local_triplet")["kwargs"]["margin"] == 0.7


def test_positions_and_unknown_names_are_refused_with_the_names() -> None:
    with pytest.raises(KeyError, match="address loss term by name, not position; names here: id, ranking"):
        resolve_config("maskreid", "smoke", {"losses.1.kwargs.alpha": 0.1})
    with pytest.raises(KeyError, match="unknown loss term 'rankin'.*names here: id, ranking"):
        resolve_config("maskreid", "smoke", {"losses.rankin.alpha": 0.1})
    with pytest.raises(KeyError, match="unknown recipe stage 'classifer'.*names here: id, classifier, all\\+triplet"):
        resolve_config("mpm_ltl", "smoke", {"recipe.classifer.loss_weights.id": 1.0})
    with pytest.raises(KeyError, match="address recipe stage by name"):
        resolve_config("mpm_ltl", "smoke", {"recipe.stages.1.loss_weights.id": 1.0})


def test_the_studys_rows_use_names_only() -> None:
    from reidlib.study.rows import ROWS

    positional = [(eid, label, k) for eid, rows in ROWS.items() for label, (_, ov, *_) in rows.items()
                  for k in ov if any(part.isdigit() for part in k.split("."))]
    assert not positional
