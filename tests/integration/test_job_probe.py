"""Issue 9, point 4: jobs isolated from the server and from each other. A
job of team b runs the probe (jobs/probe.py) while a job of team a runs with
a secret in its environment; every step of the probe must fail. Needs a
server running as root (CI runs as root): only root can give each job a
user of its own."""
import json
import os
import time

import pytest

from conftest import two_team_server
from test_jobs import get, submit

HERE = os.path.dirname(os.path.abspath(__file__))
CONTRACT = {"PATH", "HOME", "LANG", "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES"}

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="per-job users need a root server")


def wait_state(server, job_id, token, states, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = get(server, job_id, token=token)
        if job["state"] in states:
            return job
        time.sleep(0.05)
    raise AssertionError(f"{job_id} stayed {job['state']}")


def test_the_probe_reaches_nothing_of_another_job_or_the_server():
    server, tokens, _ = two_team_server("plinth-probe-")
    try:
        a, b = tokens["a-member"], tokens["b-member"]
        victim = submit(server, {"name": "victim", "command": ["sleep", "120"],
                                 "env": {"SECRET_VAR": "SECRET_OF_A"}}, token=a)
        victim = wait_state(server, victim["id"], a, ("RUNNING",))
        target = victim["replicas"][0]["log_dir"]
        probe = submit(server, {"name": "probe", "command": ["/usr/bin/python3", f"{HERE}/jobs/probe.py"],
                                "env": {"TARGET_DIR": target,
                                        "TARGET_JOBS": os.path.join(server.home, "jobs"),
                                        "TARGET_DB": os.path.join(server.home, "plinth.db")}},
                       token=b)
        probe = wait_state(server, probe["id"], b, ("SUCCEEDED", "FAILED"))
        out = server.call("GET", f"/api/v1/jobs/{probe['id']}/logs", token=b).json()["data"]
        assert probe["state"] == "SUCCEEDED", out
        result = json.loads(out.split("PROBE ", 1)[1])
        assert result["uid"] != 0 and result["uid"] != os.geteuid(), result
        assert result["environ_leaks"] == [], "read team a's job environment"
        assert result["writes"] == [], "wrote into another job's folder"
        assert result["reads"] == [], "read the server's files"
        assert result["own_home_writable"]
        allowed = CONTRACT | {"TARGET_DIR", "TARGET_JOBS", "TARGET_DB"}
        extra = [k for k in result["env"]
                 if k not in allowed and not k.startswith(("PLINTH_", "MLFLOW_"))]
        assert extra == [], f"the server's environment leaked: {extra}"
        # The victim ran as a different user.
        server.call("POST", f"/api/v1/jobs/{victim['id']}/cancel", token=a)
        # Nothing in the home but jobs/ is open to others.
        for name in os.listdir(server.home):
            mode = os.stat(os.path.join(server.home, name)).st_mode & 0o077
            assert name == "jobs" or mode == 0, f"{name} is open to others: {oct(mode)}"
        assert os.stat(server.home).st_mode & 0o777 == 0o711
    finally:
        server.stop()


def test_two_live_jobs_never_share_a_user_and_their_homes_are_their_own():
    server, tokens, _ = two_team_server("plinth-uids-")
    try:
        a = tokens["a-member"]
        ids = [submit(server, {"name": f"j{i}", "command": ["sh", "-c", "id -u; sleep 30"]},
                      token=a)["id"] for i in range(3)]
        uids = set()
        for job_id in ids:
            job = wait_state(server, job_id, a, ("RUNNING",))
            home = os.path.join(job["replicas"][0]["log_dir"], "home")
            st = os.stat(home)
            assert st.st_mode & 0o777 == 0o700
            uids.add(st.st_uid)
        assert len(uids) == 3 and 0 not in uids
        for job_id in ids:
            server.call("POST", f"/api/v1/jobs/{job_id}/cancel", token=a)
    finally:
        server.stop()
