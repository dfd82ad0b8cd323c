"""Jobs end to end: the real server schedules jobs on simulated GPUs and runs
them as real processes through the local executor (and through the real
Slurm cluster in test_slurm_jobs.py)."""
import json
import os
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import PLINTH_BIN, Server

HERE = os.path.dirname(os.path.abspath(__file__))


def start(extra_args=("--simulated-gpus", "1x4xH100-80GB"), config=None):
    home = tempfile.mkdtemp(prefix="plinth-jobs-")
    args = list(extra_args)
    if config:
        path = os.path.join(home, "plinth.yaml")
        with open(path, "w") as f:
            f.write(config)
        args += ["--config", path]
    return Server(home, extra_args=args).start()


@pytest.fixture
def jobs_server():
    servers = []

    def make(*args, **kwargs):
        s = start(*args, **kwargs)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.stop()


def scratch():
    """A folder jobs may write in to talk to the test: under a root server each
    job runs as a user of its own and cannot write into the server's home."""
    path = tempfile.mkdtemp(prefix="plinth-scratch-")
    os.chmod(path, 0o777)
    return path


def submit(server, spec, expect=200, token=None):
    r = server.call("POST", "/api/v1/jobs", json=spec, token=token)
    assert r.status_code == expect, r.text
    return r.json().get("job") if expect == 200 else r.json()


def get(server, job_id, token=None):
    r = server.call("GET", f"/api/v1/jobs/{job_id}", token=token)
    assert r.status_code == 200, r.text
    return r.json()["job"]


def wait_for(server, job_id, states, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = get(server, job_id)
        if job["state"] in states:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} stayed {job['state']}: {job}")


def logs(server, job_id, replica=0):
    r = server.call("GET", f"/api/v1/jobs/{job_id}/logs", params={"replica": replica})
    assert r.status_code == 200, r.text
    return r.json()["data"]


def events(server, job_id):
    return [e["type"] for e in server.call("GET", f"/api/v1/jobs/{job_id}/events").json()["events"]]


def cli(server, *args, input=None):
    env = dict(os.environ, PLINTH_URL=server.url)
    return subprocess.run([PLINTH_BIN, *args], capture_output=True, text=True, env=env,
                          input=input, timeout=120)


def test_mlflow_training_script_logs_to_the_jobs_run(jobs_server):
    server = jobs_server()
    spec_path = os.path.join(server.home, "job.yaml")
    with open(spec_path, "w") as f:
        f.write(f"""
name: mlflow-step
command: [/usr/bin/python3, {HERE}/jobs/log_metric.py]
resources: {{gpus: 0.5, cpus: 1, memory: 512Mi}}
""")
    result = cli(server, "jobs", "submit", spec_path, "--wait")
    assert result.returncode == 0, result.stderr
    assert "logged 3 steps" in result.stdout
    job = get(server, result.stderr.split("Submitted job ")[1].split()[0])
    assert job["state"] == "SUCCEEDED"
    run = server.mlflow("GET", "runs/get", {"run_id": job["run_id"]})["run"]
    assert run["info"]["status"] == "FINISHED"
    assert {m["key"]: m["value"] for m in run["data"]["metrics"]}["loss"] == pytest.approx(1 / 3)
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags["plinth.job_id"] == job["id"]


def test_jobs_get_a_token_on_a_server_that_requires_them(jobs_server):
    server = jobs_server()
    r = server.call("POST", "/api/v1/tokens", json={"name": "admin", "team": "default", "role": "admin"})
    assert r.status_code == 200, r.text
    admin = r.json()["secret"]  # from now on every call needs a token
    assert server.call("GET", "/api/v1/jobs").status_code == 401
    job = submit(server, {"name": "mlflow-step", "resources": {"gpus": 0.5},
                          "command": ["/usr/bin/python3", f"{HERE}/jobs/log_metric.py"]},
                 token=admin)
    deadline = time.time() + 60
    while get(server, job["id"], token=admin)["state"] not in ("SUCCEEDED", "FAILED"):
        assert time.time() < deadline
        time.sleep(0.1)
    job = get(server, job["id"], token=admin)
    assert job["state"] == "SUCCEEDED", job
    run = server.mlflow("GET", "runs/get", {"run_id": job["run_id"]}, token=admin)["run"]
    assert {m["key"]: m["value"] for m in run["data"]["metrics"]}["loss"] == pytest.approx(1 / 3)
    # The job's own token (team default, role member) is revoked once it ends.
    names = [t["name"] for t in server.call("GET", "/api/v1/tokens", token=admin).json()["tokens"]]
    assert names == ["admin"], names


def test_pytorchjob_manifest_runs_a_real_gloo_gang(jobs_server):
    server = jobs_server()
    container = {"name": "pytorch", "image": "unused:latest",
                 "command": ["/usr/bin/python3", f"{HERE}/jobs/ddp_allreduce.py"],
                 "resources": {"limits": {"nvidia.com/gpu": 1}}}
    manifest = {
        "apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob",
        "metadata": {"name": "ddp"},
        "spec": {"pytorchReplicaSpecs": {
            "Master": {"replicas": 1, "restartPolicy": "OnFailure",
                       "template": {"spec": {"containers": [container]}}},
            "Worker": {"replicas": 1, "restartPolicy": "OnFailure",
                       "template": {"spec": {"containers": [container]}}}}}}
    job = submit(server, manifest)
    done = wait_for(server, job["id"], {"SUCCEEDED", "FAILED"}, timeout=120)
    assert done["state"] == "SUCCEEDED", (done, logs(server, job["id"]), logs(server, job["id"], 1))
    seen = [json.loads(logs(server, job["id"], r).strip().splitlines()[-1]) for r in (0, 1)]
    assert [s["env"]["RANK"] for s in seen] == ["0", "1"]
    assert {s["env"]["WORLD_SIZE"] for s in seen} == {"2"}
    assert {s["env"]["LOCAL_RANK"] for s in seen} == {"0", "1"}  # both replicas on node-0
    assert len({s["env"]["MASTER_PORT"] for s in seen}) == 1
    assert {s["sum"] for s in seen} == {3.0}  # ranks 0 and 1 all-reduced: 1 + 2
    devices = {s["env"]["CUDA_VISIBLE_DEVICES"] for s in seen}
    assert len(devices) == 2  # one GPU each, not the same one


def test_cancel_kills_a_job_that_ignores_sigterm(jobs_server):
    server = jobs_server()
    marker = os.path.join(scratch(), "child.pid")
    job = submit(server, {
        "name": "stubborn",
        "command": ["sh", "-c", f"trap '' TERM; sleep 300 & echo $! > {marker}; wait"],
        "checkpoint": {"grace_period": 1}})
    wait_for(server, job["id"], {"RUNNING"})
    deadline = time.time() + 10
    while not os.path.exists(marker) and time.time() < deadline:
        time.sleep(0.05)
    child = int(open(marker).read())
    r = server.call("POST", f"/api/v1/jobs/{job['id']}/cancel")
    assert r.status_code == 200 and r.json()["job"]["state"] == "CANCELLING"
    done = wait_for(server, job["id"], {"CANCELLED"}, timeout=30)
    assert "KILLED" in events(server, job["id"])
    # The whole tree goes, the background sleep too (reaped by the supervisor).
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError(f"process {child} of the cancelled job still exists")
    assert done["end_time"] >= done["start_time"]


def test_priority_preemption_sends_the_checkpoint_signal_and_requeues(jobs_server):
    # The victim is exempt from preemption for its first 3 s of running.
    server = jobs_server(("--simulated-gpus", "1x1xH100-80GB"),
                         config="jobs:\n  preempt_exempt_time: 3s\n")
    ckpt = os.path.join(scratch(), "checkpoint")
    low = submit(server, {
        "name": "low", "priority_class": "low", "preemptible": True,
        "resources": {"gpus": 1},
        "checkpoint": {"signal": "SIGUSR1", "grace_period": 20},
        "command": ["sh", "-c",
                    f"trap 'echo saved > {ckpt}; exit 0' USR1; "
                    f"if [ -e {ckpt} ]; then echo resumed; exit 0; fi; "
                    "while true; do sleep 0.1; done"]})
    wait_for(server, low["id"], {"RUNNING"})
    high = submit(server, {"name": "high", "priority_class": "high", "resources": {"gpus": 1},
                           "command": ["sh", "-c", "sleep 1"]})
    why, deadline = "", time.time() + 2
    while "preempt_exempt_time" not in why and time.time() < deadline:
        why = str(get(server, high["id"]).get("why", ""))
        time.sleep(0.05)
    assert "preempt_exempt_time" in why, why
    wait_for(server, high["id"], {"RUNNING", "SUCCEEDED"}, timeout=30)
    assert open(ckpt).read().strip() == "saved"
    done = wait_for(server, low["id"], {"SUCCEEDED"}, timeout=60)
    assert done["preemptions"] == 1 and done["attempts"] == 2
    assert "resumed" in logs(server, low["id"])
    assert "PREEMPTED" in events(server, low["id"])


def test_gang_restart_then_failure_with_exit_codes(jobs_server):
    server = jobs_server()
    job = submit(server, {"name": "flaky", "replicas": 2, "retries": {"limit": 1, "backoff": 0},
                          "command": ["sh", "-c", 'if [ "$PLINTH_REPLICA" = 1 ]; then exit 3; fi; sleep 30']})
    done = wait_for(server, job["id"], {"FAILED"}, timeout=60)
    assert done["attempts"] == 2 and done["restarts"] == 1
    assert "replica 1 exited with code 3" in done["message"]
    assert "RESTARTING" in events(server, job["id"])


def test_server_restart_reattaches_running_jobs(jobs_server):
    server = jobs_server()
    flag = os.path.join(scratch(), "go")
    job = submit(server, {"name": "survivor",
                          "command": ["sh", "-c", f"while [ ! -e {flag} ]; do sleep 0.1; done; echo done"]})
    wait_for(server, job["id"], {"RUNNING"})
    server.kill9()
    open(flag, "w").close()
    server.start()
    done = wait_for(server, job["id"], {"SUCCEEDED"}, timeout=30)
    assert "done" in logs(server, job["id"])
    assert "REATTACHING" in events(server, job["id"])


def test_bad_specs_are_rejected_with_the_reason(jobs_server):
    server = jobs_server()
    cases = [
        ({"command": ["x"], "resources": {"gpus": 1.5}}, "resources.gpus: 1.5 is not a valid GPU count"),
        ({"command": ["x"], "resources": {"mig_profile": "9g.99gb"}}, "unknown MIG profile"),
        ({"command": ["x"], "replicas": 0}, "replicas: 0 is not valid"),
        ({"command": ["x"], "resources": {"memory": -1}}, "is not a memory size"),
        ({"command": ["x"], "queue": "nope"}, "queue: 'nope' does not exist"),
        ({"command": ["x"], "resources": {"gpus": 8}}, "the whole cluster cannot hold this job"),
        ({"command": ["x"], "resources": {"mig_profile": "1g.10gb"}}, "MIG-enabled"),
        ({"command": ["x"], "resoures": {}}, "resoures: unknown field"),
    ]
    for spec, message in cases:
        body = submit(server, spec, expect=400)
        assert message in body["error"]["message"], (spec, body)
    r = server.call("POST", "/api/v1/jobs", data="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    # A command that does not exist fails the job with a clear message.
    job = submit(server, {"name": "typo", "command": ["no-such-command-xyz"]})
    done = wait_for(server, job["id"], {"FAILED"})
    assert "no-such-command-xyz" in done["message"]
    assert server.call("GET", "/api/v1/jobs/unknown-id").status_code == 404


QUEUES = """
jobs:
  queues:
    - {name: vision, team: vision, cohort: research, nominal: {H100-80GB: 1}, borrowing_limit: {H100-80GB: 0}}
    - {name: nlp, team: nlp, cohort: research, nominal: {H100-80GB: 3}}
"""


def test_quota_wait_is_explained_by_why(jobs_server):
    server = jobs_server(config=QUEUES)
    first = submit(server, {"name": "a", "team": "vision", "command": ["sleep", "30"], "resources": {"gpus": 1}})
    wait_for(server, first["id"], {"RUNNING"})
    second = submit(server, {"name": "b", "team": "vision", "command": ["true"], "resources": {"gpus": 1}})
    time.sleep(0.6)
    why = cli(server, "jobs", "why", second["id"])
    assert why.returncode == 0, why.stderr
    assert "queue vision would be 1 H100-80GB over its quota" in why.stdout
    queues = {q["name"]: q for q in server.call("GET", "/api/v1/queues").json()["queues"]}
    assert queues["vision"]["running"] == 1 and queues["vision"]["pending"] == 1
    gpus = cli(server, "gpus")
    assert first["id"] in gpus.stdout
    server.call("POST", f"/api/v1/jobs/{first['id']}/cancel")


def test_teams_cannot_see_each_others_jobs(jobs_server):
    server = jobs_server()
    admin = server.call("POST", "/api/v1/tokens", json={"team": "default", "role": "admin"}).json()["secret"]
    tokens = {}
    for team in ("vision", "nlp"):
        server.call("POST", "/api/v1/teams", json={"name": team}, token=admin)
        tokens[team] = server.call("POST", "/api/v1/tokens", json={"team": team, "role": "member"},
                                   token=admin).json()["secret"]
    job = submit(server, {"name": "mine", "command": ["true"]}, token=tokens["vision"])
    assert job["team"] == "vision"
    assert server.call("GET", f"/api/v1/jobs/{job['id']}", token=tokens["nlp"]).status_code == 403
    assert server.call("POST", f"/api/v1/jobs/{job['id']}/cancel", token=tokens["nlp"]).status_code == 403
    listed = server.call("GET", "/api/v1/jobs", token=tokens["nlp"]).json()["jobs"]
    assert listed == []
    r = server.call("POST", "/api/v1/jobs", json={"command": ["true"], "team": "vision"}, token=tokens["nlp"])
    assert r.status_code == 403


def test_metrics_expose_queues_and_gpus(jobs_server):
    server = jobs_server()
    job = submit(server, {"name": "m", "command": ["true"], "resources": {"gpus": 1}})
    wait_for(server, job["id"], {"SUCCEEDED"})
    time.sleep(0.5)
    text = server.call("GET", "/metrics").text
    assert 'plinth_gpus_total{model="H100-80GB"} 4' in text
    assert 'plinth_jobs_finished_total{queue="default",state="SUCCEEDED"} 1' in text
    assert "plinth_scheduler_pass_seconds_count" in text


def test_cpu_jobs_run_on_a_machine_without_gpus(jobs_server):
    # No --simulated-gpus and no NVML here: the host is the one (GPU-less) node.
    server = jobs_server(extra_args=())
    job = submit(server, {"name": "cpu", "command": ["sh", "-c", "echo cvd=[$CUDA_VISIBLE_DEVICES]"],
                          "resources": {"cpus": 1}})
    done = wait_for(server, job["id"], {"SUCCEEDED", "FAILED"})
    assert done["state"] == "SUCCEEDED", done
    assert "cvd=[]" in logs(server, job["id"])
    body = submit(server, {"command": ["true"], "resources": {"gpus": 1}}, expect=400)
    assert "this cluster has no GPUs" in body["error"]["message"]
