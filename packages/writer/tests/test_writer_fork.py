"""``new_experiment(fork=TAG, step=N)``: a new run whose record names its parent run and step."""

from lab_workbook_core import ExperimentNotFound, InvalidValueError
from lab_workbook_core.record import RECORD_FIELDS
from lab_workbook_writer import new_experiment
import pytest


def test_a_fork_is_a_new_run_whose_record_names_its_parent_and_step(store):
    with new_experiment(store.prefix) as parent:
        pass
    with new_experiment(store.prefix, fork=parent.tag, step=20000) as child:
        pass
    assert child.tag != parent.tag
    assert store.record(child.tag)["parent"] == {"tag": parent.tag, "step": 20000}
    assert "parent" not in store.record(parent.tag)


def test_a_fork_without_a_step_records_a_null_step(store):
    with new_experiment(store.prefix) as parent:
        pass
    with new_experiment(store.prefix, fork=parent.tag) as child:
        pass
    assert store.record(child.tag)["parent"] == {"tag": parent.tag, "step": None}


def test_forking_a_run_the_store_does_not_have_is_refused_naming_the_tag(store):
    with pytest.raises(ExperimentNotFound, match="cannot fork run 202601010000-nosuchrun"):
        new_experiment(store.prefix, fork="202601010000-nosuchrun", step=3)
    assert store.tags() == []  # nothing was claimed


def test_a_run_that_is_no_fork_has_no_parent_field(store):
    with new_experiment(store.prefix) as run:
        pass
    assert "parent" not in store.record(run.tag)


@pytest.mark.parametrize("step", [-1, 2.5, "3", True])
def test_a_step_that_is_no_step_number_is_refused(store, step):
    with pytest.raises(InvalidValueError, match="non-negative integer"):
        new_experiment(store.prefix, fork="any", step=step)


def test_a_step_without_fork_is_refused(store):
    with pytest.raises(InvalidValueError, match="fork=TAG"):
        new_experiment(store.prefix, step=3)


def test_a_forks_record_keeps_cores_field_order(store):
    with new_experiment(store.prefix, capture_environment=False) as parent:
        pass
    with new_experiment(store.prefix, fork=parent.tag, step=1, capture_environment=False) as child:
        child.save_json("parameters", {"lr": 0.1})
    fields = list(store.record(child.tag))
    assert fields == [name for name in RECORD_FIELDS if name in fields]
