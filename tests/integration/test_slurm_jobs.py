"""Jobs on the real one-node Slurm cluster that scripts/services/slurm starts:
Plinth admits them (quota, GPUs) and submits them with sbatch; Slurm runs
them and Plinth follows them with squeue and their exit status."""
import os
import tempfile
import time

import pytest

from conftest import Server, missing_service
from test_jobs import events, get, logs, submit, wait_for


@pytest.fixture(scope="module")
def slurm_server():
    conf = os.environ.get("PLINTH_TEST_SLURM_CONF")
    if not conf:
        missing_service("Slurm not configured: run scripts/services/slurm start and "
                        "export $(scripts/services/slurm env)")
    home = tempfile.mkdtemp(prefix="plinth-slurm-")
    config = os.path.join(home, "plinth.yaml")
    with open(config, "w") as f:
        f.write(f"executors:\n  slurm: {{env: {{SLURM_CONF: {conf}}}, command_timeout_s: 20}}\n")
    server = Server(home, extra_args=["--simulated-gpus", "1x4xH100-80GB", "--config", config]).start()
    yield server
    server.stop()


def test_slurm_job_runs_with_gres_gpus(slurm_server):
    job = submit(slurm_server, {
        "name": "slurm-env", "executor": "slurm", "resources": {"gpus": 2, "memory": "100Mi"},
        "command": ["sh", "-c", "echo job=$PLINTH_JOB_ID slurm=$SLURM_JOB_ID gpus=$CUDA_VISIBLE_DEVICES"]})
    done = wait_for(slurm_server, job["id"], {"SUCCEEDED", "FAILED"}, timeout=60)
    assert done["state"] == "SUCCEEDED", done
    out = logs(slurm_server, job["id"])
    assert f"job={job['id']}" in out
    assert "slurm=" in out and "slurm= " not in out
    gpus = out.split("gpus=")[1].split()[0]
    assert len(gpus.split(",")) == 2  # Slurm assigned two GRES GPUs
    assert done["replicas"][0]["state"] == "succeeded"


def test_slurm_exit_code_and_cancel(slurm_server):
    failing = submit(slurm_server, {"name": "fail", "executor": "slurm", "command": ["sh", "-c", "exit 3"]})
    done = wait_for(slurm_server, failing["id"], {"FAILED"}, timeout=60)
    assert "exit" in done["message"] and "3" in done["message"]

    sleeper = submit(slurm_server, {"name": "sleep", "executor": "slurm", "command": ["sleep", "300"],
                                    "checkpoint": {"grace_period": 2}})
    wait_for(slurm_server, sleeper["id"], {"RUNNING"}, timeout=60)
    time.sleep(1)
    r = slurm_server.call("POST", f"/api/v1/jobs/{sleeper['id']}/cancel")
    assert r.status_code == 200, r.text
    wait_for(slurm_server, sleeper["id"], {"CANCELLED"}, timeout=60)
    assert "CANCELLING" in events(slurm_server, sleeper["id"])


def test_unconfigured_executor_is_rejected():
    # A server without executors.slurm refuses slurm jobs at submission.
    home = tempfile.mkdtemp(prefix="plinth-noslurm-")
    server = Server(home).start()
    try:
        body = submit(server, {"command": ["true"], "executor": "slurm"}, expect=400)
        assert "executor: 'slurm' is not configured" in body["error"]["message"]
    finally:
        server.stop()
