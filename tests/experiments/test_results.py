"""Experiment results: what every result holds, and the storage label a report may show."""

from __future__ import annotations

from fitwell.experiments.results import TRIAL_COLUMNS, ExperimentResult


def _result(url, records=()):
    return ExperimentResult(experiment=None, study_name="s", storage_url=url, trials=[],
                            records=list(records), rows=[{"failed": 1}, {"failed": 0}])


def test_the_storage_label_masks_the_password():
    label = _result("postgresql://ana:s3cret@db-host:5432/fitwell").storage_label
    assert "s3cret" not in label
    assert label == "postgresql://ana:***@db-host:5432/fitwell"
    assert _result("sqlite:////tmp/study.db").storage_label == "sqlite:////tmp/study.db"


def test_counts_and_the_trials_table():
    records = [{c: None for c in TRIAL_COLUMNS} | {"status": s}
               for s in ("complete", "interrupted", "error")]
    result = _result("sqlite:///x.db", records)
    assert (result.n_failed, result.n_interrupted) == (1, 1)
    table = result.trials_table()
    rows = table.to_dict("records") if hasattr(table, "to_dict") else table
    assert [r["status"] for r in rows] == ["complete", "interrupted", "error"]
    assert list(rows[0]) == list(TRIAL_COLUMNS)
