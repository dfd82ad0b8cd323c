"""Issue 9: a Slurm controller that hangs holds up Slurm jobs only. The test
installs stand-ins for the Slurm commands that sleep 20 s (squeue always,
sbatch once a flag file exists): the job loop must go on starting and
finishing local jobs, MLflow logging must go on answering, and a cancel
must return at once. No Slurm cluster is needed."""
import os
import stat
import tempfile
import time

import pytest

from conftest import Server
from test_jobs import get, submit, wait_for

HANG_S = 20


def write_stand_ins(folder, hang_flag):
    scripts = {
        # sbatch answers at once until the flag exists, then hangs too.
        "sbatch": f'[ -e {hang_flag} ] && sleep {HANG_S}\necho 4242\n',
        "squeue": f"sleep {HANG_S}\nexit 1\n",
        "scontrol": f"sleep {HANG_S}\nexit 1\n",
        "scancel": f"sleep {HANG_S}\nexit 1\n",
        "sacct": f"sleep {HANG_S}\nexit 1\n",
    }
    for name, body in scripts.items():
        path = os.path.join(folder, name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + body)
        os.chmod(path, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)


@pytest.fixture
def hung_slurm_server():
    home = tempfile.mkdtemp(prefix="plinth-hung-slurm-")
    bin_dir = os.path.join(home, "slurm-bin")
    os.mkdir(bin_dir)
    hang_flag = os.path.join(home, "hang-sbatch")
    write_stand_ins(bin_dir, hang_flag)
    config = os.path.join(home, "plinth.yaml")
    with open(config, "w") as f:
        f.write(f"executors:\n  slurm: {{bin_dir: {bin_dir}, command_timeout_s: 60}}\n")
    server = Server(home, extra_args=["--simulated-gpus", "1x4xH100-80GB", "--config", config]).start()
    yield server, hang_flag
    server.stop()  # waits for the stand-in in progress (at most HANG_S)


def test_a_hung_slurm_controller_holds_up_only_slurm_jobs(hung_slurm_server):
    server, hang_flag = hung_slurm_server
    # A Slurm job that starts (sbatch answers) and is then polled by a
    # squeue that never answers in time.
    polled = submit(server, {"name": "on-slurm", "executor": "slurm", "command": ["sleep", "600"]})
    wait_for(server, polled["id"], {"RUNNING"}, timeout=30)
    # Then sbatch hangs as well: the next Slurm job waits to be launched.
    open(hang_flag, "w").close()
    stuck = submit(server, {"name": "stuck", "executor": "slurm", "command": ["true"]})

    started = time.monotonic()
    for i in range(5):
        job = submit(server, {"name": f"local-{i}", "command": ["true"]})
        done = wait_for(server, job["id"], {"SUCCEEDED", "FAILED"}, timeout=10)
        assert done["state"] == "SUCCEEDED", done
    assert time.monotonic() - started < HANG_S, "local jobs waited on the Slurm commands"

    run = server.new_run()["info"]["run_id"]
    for step in range(20):
        server.mlflow("POST", "runs/log-batch", {
            "run_id": run, "metrics": [{"key": "loss", "value": 1.0 / (step + 1), "timestamp": 1, "step": step}]})
    assert time.monotonic() - started < HANG_S, "MLflow logging waited on the Slurm commands"

    t = time.monotonic()
    r = server.call("POST", f"/api/v1/jobs/{polled['id']}/cancel")
    assert r.status_code == 200, r.text
    assert time.monotonic() - t < 2, "a cancel waited for the executor"
    assert r.json()["job"]["state"] == "CANCELLING"

    assert get(server, stuck["id"])["state"] == "PENDING"
    metrics = server.call("GET", "/metrics").text
    backlog = [line for line in metrics.splitlines()
               if line.startswith('plinth_executor_backlog{executor="slurm"}')]
    assert backlog and float(backlog[0].split()[-1]) >= 1, backlog
