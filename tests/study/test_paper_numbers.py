"""The papers' numbers are keyed by the same row labels as the study's ROWS."""
from reidlib.study.rows import ROWS
from reidlib.study import paper_numbers as P


def test_row_labels_match() -> None:
    for eid, table in [("E1", P.E1_INPUT_KINDS), ("E2", P.E2_MPM_ABLATION), ("E6", P.E6_LOSSES),
                       ("E8", P.E8_FUSION), ("E9", P.E9_DISTANCES)]:
        assert set(table) <= set(ROWS[eid]), (eid, set(table) - set(ROWS[eid]))
    assert set(P.E5_ORDER) == set(ROWS["E5"])
    assert {(a, lam) for a in (0.1, 0.15) for lam in (0, 1, 2, 5, 10)} == set(P.E7_RANKING_GRID)


def test_table1_row7_is_the_papers_headline() -> None:
    assert P.E2_MPM_ABLATION["(7) + TriHard (full MPM-LTL)"]["MQ+RR mAP"] == 93.76
