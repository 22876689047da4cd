"""Artifacts loaded whole are checked against the SHA-256 their finished run's record lists (issue 21)."""

from __future__ import annotations

import hashlib
import warnings

import pytest

TAG = "202601010000-checksumsA"
PARAMETERS = b'{"lr": 0.1}'


def _listed(data: bytes) -> dict:
    return {"parameters.json": {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}}


def test_an_artifact_matching_its_record_loads_without_a_problem(store):
    store.put(TAG, "parameters.json", PARAMETERS)
    store.record(TAG, artifacts=_listed(PARAMETERS))
    exp = store.repository(cache=False)[TAG]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert exp["parameters.json"] == {"lr": 0.1}
    assert exp.problem is None


def test_an_artifact_that_is_not_the_one_its_record_lists_is_a_problem_of_the_run(store):
    store.put(TAG, "parameters.json", b'{"lr": 0.5}')
    store.record(TAG, artifacts=_listed(PARAMETERS))
    exp = store.repository(cache=False)[TAG]
    with pytest.warns(UserWarning, match=f"experiment {TAG}: parameters.json does not match its run record"):
        assert exp.read_bytes("parameters.json") == b'{"lr": 0.5}'
    assert exp.problem is not None and "parameters.json does not match its run record" in exp.problem
    assert exp.status == "finished"  # the record itself reads fine


def test_a_running_runs_artifact_is_not_checked(store):
    """Its record may list a newer save than the object uploaded so far."""
    store.record(TAG, "running", artifacts=_listed(PARAMETERS))
    store.put(TAG, "parameters.json", b'{"lr": 0.5}')
    exp = store.repository(cache=False)[TAG]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exp.read_bytes("parameters.json")
    assert exp.problem is None
