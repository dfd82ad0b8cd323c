"""Issue 9, point 11: several servers on one PostgreSQL database. Any of them
serves the whole API; exactly one (the holder of the leader lock) runs the
job loop, and the others hand job writes to it through the database; when it
is killed another takes over within seconds and follows the running replicas
(nothing double-booked, nothing lost); a token revocation and the jobs'
events reach every server at once.

The servers share one home (the jobs' folders and artifacts), as servers on
one host or on a shared filesystem do."""
import os
import tempfile
import threading
import time

import pytest

from conftest import Server, postgres_database
from test_jobs import cli, events, get, scratch, submit, wait_for

GPUS = ("--simulated-gpus", "1x2xH100-80GB")


@pytest.fixture
def cluster():
    started = []

    def make(n, db=None):
        home = tempfile.mkdtemp(prefix="plinth-cluster-")
        db = db or postgres_database()
        for i in range(n):
            s = Server(home, db=db, extra_args=GPUS)
            s.log_path = os.path.join(home, f"server-{len(started)}.log")
            started.append(s.start())
        return started[-n:]

    yield make
    for s in started:
        s.stop()


def role(server):
    return server.call("GET", "/healthz").json()["role"]


def wait_until(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return time.time()
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout} s")


def gpu_job(folder, name, hold="sleep 0.3"):
    """A one-GPU job that records, in its own file, which GPU it got and
    when it started and ended (nanoseconds), so the test can check that no
    GPU ever ran two jobs at once, and how often the job was started."""
    record = f'{folder}/$PLINTH_JOB_ID'
    return {"name": name, "resources": {"gpus": 1},
            "command": ["sh", "-c",
                        f'echo "start $CUDA_VISIBLE_DEVICES $(date +%s%N)" >> {record}; {hold}; '
                        f'echo "end $CUDA_VISIBLE_DEVICES $(date +%s%N)" >> {record}']}


def assert_no_gpu_ran_two_jobs(folder, job_ids):
    spans = {}
    for job_id in job_ids:
        with open(os.path.join(folder, job_id)) as f:
            lines = [line.split() for line in f.read().splitlines()]
        starts = [line for line in lines if line[0] == "start"]
        assert len(starts) == 1, f"job {job_id} was started {len(starts)} times: {lines}"
        (_, gpu, begin), (_, _, end) = lines
        spans.setdefault(gpu, []).append((int(begin), int(end), job_id))
    assert set(spans) <= {"0", "1"}, spans
    for gpu, intervals in spans.items():
        intervals.sort()
        for (_, end, a), (begin, _, b) in zip(intervals, intervals[1:]):
            assert begin >= end, f"GPU {gpu} ran jobs {a} and {b} at once"


def test_one_server_leads_and_every_server_serves_the_jobs_api(cluster):
    servers = cluster(3)
    assert [role(s) for s in servers] == ["leader", "follower", "follower"]
    folder = scratch()
    # Submitted through every server; the leader schedules them all on its
    # two GPUs, so they queue.
    ids = [submit(s, gpu_job(folder, f"j{i}"))["id"] for i in range(3) for s in servers]
    for job_id in ids:
        done = wait_for(servers[2], job_id, {"SUCCEEDED", "FAILED"}, timeout=90)
        assert done["state"] == "SUCCEEDED", done
        assert done["attempts"] == 1
    assert_no_gpu_ran_two_jobs(folder, ids)

    # What only the loop knows comes from the leader through a follower.
    follower = servers[1]
    gpus = follower.call("GET", "/api/v1/gpus")
    assert gpus.status_code == 200, gpus.text
    assert gpus.json() == servers[0].call("GET", "/api/v1/gpus").json()
    assert follower.call("GET", "/api/v1/queues").json()["queues"]
    why = follower.call("GET", f"/api/v1/jobs/{ids[0]}/why")
    assert why.status_code == 200 and "SUCCEEDED" in why.json()["why"], why.text

    # A cancellation through a follower reaches the loop.
    flag = os.path.join(folder, "never")
    long = submit(servers[2], {"name": "long", "command": ["sh", "-c", f"while [ ! -e {flag} ]; do sleep 0.1; done"]})
    wait_for(servers[1], long["id"], {"RUNNING"}, timeout=30)
    r = servers[1].call("POST", f"/api/v1/jobs/{long['id']}/cancel")
    assert r.status_code == 200 and r.json()["job"]["state"] == "CANCELLING", r.text
    assert wait_for(servers[2], long["id"], {"CANCELLED"}, timeout=30)["state"] == "CANCELLED"

    # The loop's changes reach a follower's subscribers: `run --wait`
    # through a follower ends when the job does.
    result = cli(servers[2], "run", "--wait", "--", "sh", "-c", "echo through-a-follower")
    assert result.returncode == 0 and "through-a-follower" in result.stdout, result
    assert "SUCCEEDED" in result.stderr, result


def test_a_token_created_or_revoked_through_one_server_holds_on_every_server_within_a_second(cluster):
    first, second = cluster(2)
    assert second.call("GET", "/api/v1/jobs").status_code == 200  # anonymous: no tokens yet
    admin = first.call("POST", "/api/v1/tokens", json={"team": "default", "role": "admin"}).json()
    # The other server stops taking anonymous calls.
    wait_until(lambda: second.call("GET", "/api/v1/jobs").status_code == 401, 1,
               "anonymous calls still taken by the other server")
    member = first.call("POST", "/api/v1/tokens", json={"team": "default", "role": "member"},
                        token=admin["secret"]).json()
    assert second.call("GET", "/api/v1/jobs", token=member["secret"]).status_code == 200  # cached
    r = first.call("DELETE", f"/api/v1/tokens/{member['token']['id']}", token=admin["secret"])
    assert r.status_code == 200, r.text
    wait_until(lambda: second.call("GET", "/api/v1/jobs", token=member["secret"]).status_code == 401,
               1, "the revoked token still works on the other server")
    assert second.call("GET", "/api/v1/jobs", token=admin["secret"]).status_code == 200


def test_killing_the_leader_under_load_hands_the_loop_to_another_server(cluster):
    servers = cluster(3)
    leader, followers = servers[0], servers[1:]
    assert role(leader) == "leader"
    folder = scratch()
    flag = os.path.join(folder, "go")
    survivor = submit(followers[0], gpu_job(folder, "survivor", hold=f"while [ ! -e {flag} ]; do sleep 0.05; done"))
    wait_for(followers[0], survivor["id"], {"RUNNING"}, timeout=30)

    # Submissions keep coming through the followers before, during and
    # after the failover; every one must be accepted and run.
    accepted, failures, stop = [], [], threading.Event()

    def load(server):
        n = 0
        while not stop.is_set():
            r = server.call("POST", "/api/v1/jobs", json=gpu_job(folder, f"load-{n}", hold="sleep 0.05"))
            if r.status_code == 200:
                accepted.append(r.json()["job"]["id"])
            else:
                failures.append(r.text)
            n += 1
            time.sleep(0.05)

    threads = [threading.Thread(target=load, args=(f,)) for f in followers]
    for t in threads:
        t.start()
    time.sleep(1)
    leader.kill9()
    killed = time.time()
    took_over = wait_until(lambda: "leader" in [role(f) for f in followers], 15,
                           "no server took over the job loop")
    time.sleep(1)
    stop.set()
    for t in threads:
        t.join()
    assert not failures, failures[:3]
    assert accepted

    open(flag, "w").close()
    done = wait_for(followers[1], survivor["id"], {"SUCCEEDED", "FAILED"}, timeout=60)
    assert done["state"] == "SUCCEEDED" and done["attempts"] == 1, done  # followed, not rerun
    assert "REATTACHING" in events(followers[1], survivor["id"])
    for job_id in accepted:
        assert wait_for(followers[0], job_id, {"SUCCEEDED", "FAILED"}, timeout=120)["state"] == "SUCCEEDED"
    assert_no_gpu_ran_two_jobs(folder, [survivor["id"], *accepted])
    print(f"failover took {took_over - killed:.2f} s; {len(accepted)} jobs submitted under load")


def test_a_server_that_starts_while_another_leads_follows_and_a_restart_leads_again(cluster):
    first, second = cluster(2)
    assert (role(first), role(second)) == ("leader", "follower")
    second.stop()
    first.stop()
    # Started again in the other order: the first to start leads.
    second.start()
    first.start()
    assert (role(second), role(first)) == ("leader", "follower")
    job = submit(first, {"name": "after-restart", "command": ["true"]})
    assert wait_for(second, job["id"], {"SUCCEEDED"}, timeout=30)["state"] == "SUCCEEDED"
    assert get(first, job["id"])["state"] == "SUCCEEDED"
