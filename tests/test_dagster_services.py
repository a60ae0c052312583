"""The services' helper leaves nothing running that its test started."""

import os
import subprocess
import sys
import time

from tests.dagster_services import MARK, stop_started_with


def test_a_process_started_in_a_session_of_its_own_with_the_tests_data_folder_is_stopped(tmp_path):
    env = {**os.environ, MARK: str(tmp_path / "data")}
    other = {**os.environ, MARK: str(tmp_path / "another")}
    sleep = [sys.executable, "-c", "import time; time.sleep(120)"]
    mine = subprocess.Popen(sleep, env=env, start_new_session=True)
    theirs = subprocess.Popen(sleep, env=other, start_new_session=True)
    try:
        time.sleep(0.5)
        assert stop_started_with(env) == [mine.pid]
        assert mine.wait(timeout=10) == -9
        assert theirs.poll() is None
    finally:
        theirs.kill()
        theirs.wait(timeout=10)
