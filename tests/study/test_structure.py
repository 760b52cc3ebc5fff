"""reidlib.study.structure: the machine-independent summary nbval compares."""
import json

import pandas as pd

from reidlib.study.structure import describe_files, describe_table, describe_verdict


def test_table_lists_labels_columns_seeds_and_checks_ranges() -> None:
    t = pd.DataFrame({"row": ["a", "b"], "seeds": [3, 3], "SQ mAP": ["12.5 ± 1.0 (69.07)", "99.0 ± 0.5 (-)"]})
    line = describe_table("T1", t)
    assert "2 rows ['a', 'b']" in line and "columns ['row', 'seeds', 'SQ mAP']" in line
    assert "seeds per row [3]" in line and line.endswith("every number in [-100, 100]: yes")
    bad = t.assign(**{"SQ mAP": ["123.4 ± 1.0 (-)", "nan ± 0.0 (-)"]})
    assert "NO [123.4" in describe_table("T1", bad)
    words = t.assign(cpu=["AVX-512, AVX2", "E12 k-6"], gain=["-5.37", "+2.10 (-3.1%)"])
    assert describe_table("T1", words).endswith(": yes")   # digits inside words are not numbers
    assert "NO [-512.0]" in describe_table("T1", words.assign(gain=["-512", "1"]))


def test_table_line_does_not_depend_on_the_numbers() -> None:
    a = pd.DataFrame({"row": ["x"], "seeds": [1], "m": ["8.1 ± 0.0"]})
    b = pd.DataFrame({"row": ["x"], "seeds": [1], "m": ["21.6 ± 0.0"]})
    assert describe_table("t", a) == describe_table("t", b)


def test_verdict_vocabulary() -> None:
    assert describe_verdict("").endswith("NONE recorded")
    assert describe_verdict("SQ mAP: 0 of 6 of the paper's orderings hold beyond ...").endswith("yes")
    assert describe_verdict("Mean IoU 0.7").endswith("no (a measurement)")


def test_files_written_and_csv_lines(tmp_path) -> None:
    figs = tmp_path / "figures"
    figs.mkdir()
    (figs / "E1_x.png").write_bytes(b"png")
    out = tmp_path / "res"
    out.mkdir()
    tidy = pd.DataFrame({"row": ["a", "a", "b", "b"], "seed": [0, 1, 0, 1]})
    (out / "result.json").write_text(json.dumps({}))
    tidy.to_csv(out / "results.csv", index=False)
    lines = describe_files(["E1_x", "E1_missing"], out, tidy, figures_dir=figs)
    assert lines[0] == "- figure E1_x: png" and lines[1] == "- figure E1_missing: NOT WRITTEN"
    assert "4 lines, 2 rows, seeds [0, 1], one line per run: yes" in lines[2]
