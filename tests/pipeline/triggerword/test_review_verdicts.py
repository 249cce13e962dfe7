"""People's verdicts: the CSV is checked, and collect leaves the rejected clips out, saying why."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.common.io import DataError
from pipeline.common.review_verdicts import read_verdicts, rejected, write_verdicts
from pipeline.triggerword.collect import collect
from tests.helpers.collect_fixtures import tiny_params, user_folder

HEADER = "clip_id,verdict,answers,reason\n"


def test_no_file_or_an_empty_path_means_no_verdicts(tmp_path) -> None:
    assert read_verdicts(tmp_path / "none.csv").empty
    assert read_verdicts("").empty
    (tmp_path / "v.csv").write_text(HEADER)
    assert read_verdicts(tmp_path / "v.csv").empty


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("clip_id,verdict\nx,reject\n", "missing columns"),
        (HEADER + "x,maybe,1,\n", "verdict 'maybe'"),
        (HEADER + "x,reject,1,\nx,accept,2,\n", "two verdicts"),
    ],
)
def test_a_bad_verdict_file_is_one_error_naming_it(tmp_path, text: str, message: str) -> None:
    path = tmp_path / "verdicts.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=message) as error:
        read_verdicts(path)
    assert str(path) in str(error.value)


def test_written_verdicts_read_back_and_only_rejections_count(tmp_path) -> None:
    table = pd.DataFrame(
        {"clip_id": ["b", "a"], "verdict": ["reject", "accept"], "answers": [3, 2], "reason": ["2 of 3: other", ""]}
    )
    write_verdicts(table, tmp_path / "v.csv")
    back = read_verdicts(tmp_path / "v.csv")
    assert list(back["clip_id"]) == ["a", "b"]
    assert rejected(back) == {"b": "rejected by review: 2 of 3: other"}


def test_collect_leaves_rejected_clips_out_and_lists_them(tmp_path) -> None:
    user_folder(tmp_path / "recordings")
    params = tiny_params(tmp_path, folders=(str(tmp_path / "recordings"),))
    before, _, none, _ = collect(params, tmp_path / "first")
    assert none.empty
    victim = before.loc[before["kind"] == "positive", "clip_id"].iloc[0]
    verdicts = tmp_path / "verdicts.csv"
    verdicts.write_text(HEADER + f"{victim},reject,2,2 of 2: says something else\nnot-a-clip,reject,1,\n")
    params = tiny_params(tmp_path, folders=(str(tmp_path / "recordings"),), review_verdicts=str(verdicts))
    after, skipped, left_out, _ = collect(params, tmp_path / "second")
    assert victim not in set(after["clip_id"])
    assert len(after) == len(before) - 1
    assert left_out.to_dict("records") == [
        {
            "clip_id": victim,
            "source": "folders",
            "speaker": before.set_index("clip_id").at[victim, "speaker"],
            "reason": "rejected by review: 2 of 2: says something else",
        }
    ]
    assert skipped[("folders", "rejected by review")] == 1
