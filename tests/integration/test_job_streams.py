"""Issue 9, point 6: nothing polls. A job's changes reach subscribers of the
event channel (GET /api/v1/events?topic=jobs/<id>, Server-Sent Events) as
they are recorded, and a followed log (logs?follow=true) streams each write
as it lands and ends when the job ends; `plinth run --wait` and
`plinth jobs logs -f` use the stream."""
import json
import subprocess
import time

from conftest import PLINTH_BIN, two_team_server
from test_jobs import cli, get, jobs_server, submit  # noqa: F401 (fixture)


def sse_events(response):
    """Yields (event, data) pairs from a streamed text/event-stream answer."""
    event, data = None, []
    for line in response.iter_lines(chunk_size=None, decode_unicode=True):
        if line.startswith("event: "):
            event = line[len("event: "):]
        elif line.startswith("data: "):
            data.append(line[len("data: "):])
        elif line == "" and event is not None:
            yield event, json.loads("\n".join(data))
            event, data = None, []


def test_the_event_channel_shows_every_state_of_a_job_as_it_happens(jobs_server):
    server = jobs_server()
    # A job that waits for the test: it runs until the file exists.
    flag = f"{server.home}/go"
    job = submit(server, {"name": "watched", "command": [
        "sh", "-c", f"while [ ! -e {flag} ]; do sleep 0.05; done; exit 3"]})
    r = server.call("GET", "/api/v1/events", params={"topic": f"jobs/{job['id']}"}, stream=True)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/event-stream"
    states = []
    for event, data in sse_events(r):
        assert event == "job" and data["id"] == job["id"]
        if not states or states[-1] != data["state"]:
            states.append(data["state"])
        if data["state"] == "RUNNING":
            open(flag, "w").close()  # only now may it end: the stream is live
        if data["state"] in ("SUCCEEDED", "FAILED"):
            break
    r.close()
    assert states[0] in ("PENDING", "RUNNING")
    assert "RUNNING" in states and states[-1] == "FAILED", states
    assert data["replicas"][0]["exit_code"] == 3


def test_a_followed_log_streams_each_line_while_the_job_runs_and_ends_with_it(jobs_server):
    server = jobs_server()
    flag = f"{server.home}/go"
    job = submit(server, {"name": "talker", "command": [
        "sh", "-c", f"echo first; while [ ! -e {flag} ]; do sleep 0.05; done; echo second"]})
    r = server.call("GET", f"/api/v1/jobs/{job['id']}/logs", params={"follow": "true"}, stream=True)
    assert r.status_code == 200, r.text
    chunks = r.iter_content(chunk_size=None, decode_unicode=True)
    text = ""
    while "first\n" not in text:
        text += next(chunks)
    # "first" arrived while the job still runs (it waits for the flag).
    assert get(server, job["id"])["state"] == "RUNNING"
    open(flag, "w").close()
    for chunk in chunks:  # ends when the job has ended and the log is sent
        text += chunk
    assert text == "first\nsecond\n"
    assert get(server, job["id"])["state"] == "SUCCEEDED"


def test_follow_from_an_offset_and_of_an_ended_job(jobs_server):
    server = jobs_server()
    job = submit(server, {"name": "done", "command": ["sh", "-c", "echo 0123456789"]})
    r = server.call("GET", f"/api/v1/jobs/{job['id']}/logs",
                    params={"follow": "true", "offset": "4"})
    assert r.status_code == 200 and r.text == "456789\n", r.text
    bad = server.call("GET", f"/api/v1/jobs/{job['id']}/logs", params={"follow": "maybe"})
    assert bad.status_code == 400 and "follow" in bad.text
    bad = server.call("GET", f"/api/v1/jobs/{job['id']}/logs", params={"follow": "1", "replica": "7"})
    assert bad.status_code == 400 and "replica" in bad.text


def test_streams_are_refused_to_another_team():
    server, tokens, _ = two_team_server("plinth-streams-")
    try:
        job = submit(server, {"name": "secret", "command": ["sleep", "30"]}, token=tokens["a-member"])
        for path, params in ((f"/api/v1/jobs/{job['id']}/logs", {"follow": "true"}),
                             ("/api/v1/events", {"topic": f"jobs/{job['id']}"})):
            r = server.call("GET", path, params=params, token=tokens["b-member"])
            assert r.status_code in (403, 404), (path, r.status_code, r.text)
            assert "secret" not in r.text and "'a'" not in r.text
            r = server.call("GET", path, params=params)
            assert r.status_code == 401
        r = server.call("GET", "/api/v1/events", params={"topic": "runs/x"}, token=tokens["a-member"])
        assert r.status_code == 400 and "jobs/<id>" in r.text
        server.call("POST", f"/api/v1/jobs/{job['id']}/cancel", token=tokens["a-member"])
    finally:
        server.stop()


def test_run_wait_and_logs_follow_use_the_stream(jobs_server):
    server = jobs_server()
    started = time.monotonic()
    result = cli(server, "run", "--wait", "--", "sh", "-c", "echo hi; exit 4")
    took = time.monotonic() - started
    assert result.returncode != 0 and "hi" in result.stdout, result
    assert "FAILED" in result.stderr
    # Not a timing test: a poll every 500 ms would still pass; this only
    # guards against a wait that never ends.
    assert took < 60
    job_id = result.stderr.split("Submitted job ")[1].split()[0]
    followed = cli(server, "jobs", "logs", job_id, "-f")
    assert followed.returncode == 0 and followed.stdout == "hi\n", followed
