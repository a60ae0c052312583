import pickle

import pytest
from pydantic import ValidationError

from crm_pipelines.settings import SettingProblem, SettingsError, SyncSettings, settings_error_from_validation
from crm_pipelines.settings.errors import MISSING


def test_a_problem_reads_field_value_and_what_is_allowed():
    problem = SettingProblem("sync.frequency_minutes", 3, "an integer from 5 to 240")

    assert str(problem) == "sync.frequency_minutes = 3 is not allowed: an integer from 5 to 240"


def test_a_problem_names_its_subject_when_given():
    problem = SettingProblem("sync.frequency_minutes", 3, "an integer from 5 to 240", "tenant 'acme'")

    assert str(problem) == "sync.frequency_minutes = 3 is not allowed (tenant 'acme'): an integer from 5 to 240"


def test_a_missing_value_is_called_missing():
    problem = SettingProblem("connection.login_url", MISSING, "a value: this setting is required")

    assert str(problem) == "connection.login_url is missing: a value: this setting is required"


def test_text_with_spaces_is_quoted():
    assert str(SettingProblem("name", "two words", "x")) == "name = 'two words' is not allowed: x"


@pytest.mark.parametrize("field", ["credentials.client_secret_env", "client_secret", "password", "api_token"])
def test_a_value_in_a_secret_field_is_hidden_everywhere(field):
    problem = SettingProblem(field, "s3cr3t-value", "a reference")

    assert problem.value == "<hidden>"
    assert "s3cr3t-value" not in str(problem)


def test_a_url_with_a_password_in_it_is_hidden():
    problem = SettingProblem("connection.login_url", "https://user:hunter2@acme.test", "a URL")

    assert "hunter2" not in str(problem)
    assert problem.value == "<hidden>"


def test_a_settings_error_lists_every_problem_one_a_line():
    error = SettingsError([SettingProblem("a", 1, "x"), SettingProblem("b", 2, "y")])

    assert str(error) == "a = 1 is not allowed: x\nb = 2 is not allowed: y"


def test_a_settings_error_survives_pickling():
    error = SettingsError([SettingProblem("sync.frequency_minutes", 3, "an integer from 5 to 240")])

    copy = pickle.loads(pickle.dumps(error))

    assert copy.problems == error.problems
    assert str(copy) == str(error)


def test_a_missing_value_survives_pickling_as_missing():
    error = SettingsError([SettingProblem("connection", MISSING, "a value: this setting is required")])

    copy = pickle.loads(pickle.dumps(error))

    assert copy.problems[0].value is MISSING
    assert str(copy) == "connection is missing: a value: this setting is required"


def test_pydantic_errors_become_problems_with_dotted_paths():
    data = {"frequency_minutes": 3, "crm_to_app": "maybe"}
    with pytest.raises(ValidationError) as caught:
        SyncSettings.model_validate(data)

    error = settings_error_from_validation(caught.value, data, SyncSettings)

    assert [str(p) for p in error.problems] == [
        "frequency_minutes = 3 is not allowed: an integer from 5 to 240",
        "crm_to_app = maybe is not allowed: true or false",
    ]


def test_an_unknown_key_is_answered_with_the_keys_there_are():
    data = {"frequency": 30}
    with pytest.raises(ValidationError) as caught:
        SyncSettings.model_validate(data)

    error = settings_error_from_validation(caught.value, data, SyncSettings)

    assert str(error) == (
        "frequency = 30 is not allowed: no such setting; the settings here are "
        "bulk_above_records, crm_to_app, frequency_minutes, lookback_seconds, updates_with_criteria"
    )
