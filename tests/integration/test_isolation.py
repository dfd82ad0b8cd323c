"""Issue 9: one authorization policy, and jobs isolated from the server and
from each other. Each test reproduces what a probe with a second team's
token did, and expects it to fail."""
import time

import pytest

from conftest import Server, two_team_server


@pytest.fixture
def two_teams():
    server, tokens, _ = two_team_server("plinth-isolation-")
    tokens = dict(tokens, a=tokens["a-member"], b=tokens["b-member"])
    yield server, tokens
    server.stop()


def finished(server, job_id, token, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = server.call("GET", f"/api/v1/jobs/{job_id}", token=token).json()["job"]
        if job["state"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def test_another_team_cannot_take_a_teams_job_runs(two_teams):
    server, tokens = two_teams
    # Team b takes the name of team a's job-run experiment before a's first job.
    taken = server.mlflow("POST", "experiments/create", {"name": "jobs-a"}, token=tokens["b"])
    job = server.call("POST", "/api/v1/jobs", json={"name": "train", "command": ["true"]},
                      token=tokens["a"]).json()["job"]
    job = finished(server, job["id"], tokens["a"])
    assert job["state"] == "SUCCEEDED"
    run = server.mlflow("GET", "runs/get", {"run_id": job["run_id"]}, token=tokens["a"])["run"]
    assert run["info"]["experiment_id"] != taken["experiment_id"]
    experiment = server.mlflow("GET", "experiments/get",
                               {"experiment_id": run["info"]["experiment_id"]},
                               token=tokens["a"])["experiment"]
    assert experiment["name"] == "jobs-a-2"
    # The job says where its run went, without naming who holds the name.
    events = server.call("GET", f"/api/v1/jobs/{job['id']}/events", token=tokens["a"]).json()
    notes = [e["message"] for e in events["events"]]
    assert any("experiment 'jobs-a-2'" in m and "is taken" in m for m in notes), notes
    # Team b reads nothing of it.
    r = server.call("GET", "/api/2.0/mlflow/runs/get", params={"run_id": job["run_id"]},
                    token=tokens["b"])
    assert r.status_code == 403
    assert r.json()["error_code"] == "PERMISSION_DENIED"
    assert "team 'a'" not in r.json()["message"]  # the owner is not named
    found = server.mlflow("POST", "runs/search",
                          {"experiment_ids": [taken["experiment_id"]]}, token=tokens["b"])
    assert found.get("runs", []) == []
    # A second job of team a finds the same experiment.
    again = server.call("POST", "/api/v1/jobs", json={"name": "again", "command": ["true"]},
                        token=tokens["a"]).json()["job"]
    again = finished(server, again["id"], tokens["a"])
    run2 = server.mlflow("GET", "runs/get", {"run_id": again["run_id"]}, token=tokens["a"])["run"]
    assert run2["info"]["experiment_id"] == run["info"]["experiment_id"]


def test_one_server_per_sqlite_home_and_the_home_is_private(tmp_path):
    import os
    import stat
    import subprocess

    from conftest import PLINTH_BIN, free_port

    home = str(tmp_path / "home")
    os.makedirs(home, mode=0o755)
    first = Server(home).start()
    try:
        second = subprocess.run([PLINTH_BIN, "server", "--home", home, "--port", str(free_port())],
                                capture_output=True, text=True, timeout=30)
        assert second.returncode != 0
        assert "another Plinth server is using the database" in second.stderr, second.stderr
        assert first.call("GET", "/healthz").status_code == 200  # the first one is untouched
        assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(os.path.join(home, "plinth.db")).st_mode) == 0o600
    finally:
        first.stop()
    # Once the first has stopped, the home can be served again.
    again = Server(home).start()
    again.stop()


def test_the_server_says_what_local_jobs_can_reach(tmp_path):
    import os

    home = str(tmp_path / "home")
    os.makedirs(home)
    server = Server(home).start()
    try:
        log = server.read_log()
    finally:
        server.stop()
    if os.geteuid() == 0:
        # Root gives each job a user of its own (test_job_probe.py) and says so.
        assert "each local job runs as a user of its own (uids 61184-65519" in log
    else:
        assert f"local jobs run as this server's user (uid {os.geteuid()}" in log
        assert "run only trusted code as local jobs" in log
