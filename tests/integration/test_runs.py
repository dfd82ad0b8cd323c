"""MLflow runs, logging and metric history against the real server."""
import math
import time


def now_ms():
    return int(time.time() * 1000)


def test_create_run_shape(server):
    run = server.new_run(run_name="first", user_id="alice", tags=[{"key": "t", "value": "1"}])
    info = run["info"]
    assert len(info["run_id"]) == 32 and info["run_uuid"] == info["run_id"]
    assert info["run_name"] == "first"
    assert info["status"] == "RUNNING"
    assert info["lifecycle_stage"] == "active"
    assert info["artifact_uri"] == f"mlflow-artifacts:/{info['experiment_id']}/{info['run_id']}/artifacts"
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags["t"] == "1" and tags["mlflow.runName"] == "first" and tags["mlflow.user"] == "alice"


def test_generated_run_name(server):
    run = server.new_run()
    assert run["info"]["run_name"].count("-") == 2


def test_log_metric_param_tag_and_get(server):
    run_id = server.new_run()["info"]["run_id"]
    ts = now_ms()
    server.mlflow("POST", "runs/log-metric", {"run_id": run_id, "key": "loss", "value": 0.5, "timestamp": ts, "step": 1})
    server.mlflow("POST", "runs/log-metric", {"run_uuid": run_id, "key": "loss", "value": 0.25, "timestamp": ts + 1, "step": 2})
    server.mlflow("POST", "runs/log-parameter", {"run_id": run_id, "key": "lr", "value": "0.01"})
    server.mlflow("POST", "runs/set-tag", {"run_id": run_id, "key": "stage", "value": "dev"})
    run = server.mlflow("GET", "runs/get", {"run_id": run_id})["run"]
    metrics = {m["key"]: m for m in run["data"]["metrics"]}
    assert metrics["loss"]["value"] == 0.25 and metrics["loss"]["step"] == 2
    assert {"key": "lr", "value": "0.01"} in run["data"]["params"]
    assert {"key": "stage", "value": "dev"} in run["data"]["tags"]
    server.mlflow("POST", "runs/delete-tag", {"run_id": run_id, "key": "stage"})
    run = server.mlflow("GET", "runs/get", {"run_id": run_id})["run"]
    assert "stage" not in [t["key"] for t in run["data"]["tags"]]


def test_latest_metric_tie_takes_max(server):
    run_id = server.new_run()["info"]["run_id"]
    server.mlflow("POST", "runs/log-batch", {"run_id": run_id, "metrics": [
        {"key": "m", "value": 3, "timestamp": 10, "step": 0},
        {"key": "m", "value": 7, "timestamp": 10, "step": 0},
        {"key": "m", "value": 5, "timestamp": 9, "step": 5}]})
    run = server.mlflow("GET", "runs/get", {"run_id": run_id})["run"]
    assert run["data"]["metrics"][0]["value"] == 7


def test_log_batch_and_param_immutability(server):
    run_id = server.new_run()["info"]["run_id"]
    ts = now_ms()
    server.mlflow("POST", "runs/log-batch", {
        "run_id": run_id,
        "metrics": [{"key": "acc", "value": i / 10, "timestamp": ts + i, "step": i} for i in range(10)],
        "params": [{"key": "p", "value": "1"}],
        "tags": [{"key": "t", "value": "a"}]})
    # same value again is fine, a tag overwrites
    server.mlflow("POST", "runs/log-batch", {"run_id": run_id, "params": [{"key": "p", "value": "1"}],
                                            "tags": [{"key": "t", "value": "b"}]})
    # a changed param rejects the whole batch: the metric in it must not land
    r = server.mlflow("POST", "runs/log-batch", {
        "run_id": run_id, "params": [{"key": "p", "value": "2"}],
        "metrics": [{"key": "poison", "value": 1, "timestamp": ts, "step": 0}]}, expect=400)
    assert r["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "Changing param values is not allowed" in r["message"]
    run = server.mlflow("GET", "runs/get", {"run_id": run_id})["run"]
    assert "poison" not in [m["key"] for m in run["data"]["metrics"]]
    assert {"key": "t", "value": "b"} in run["data"]["tags"]
    hist = server.mlflow("GET", "metrics/get-history", {"run_id": run_id, "metric_key": "acc"})["metrics"]
    assert [m["step"] for m in hist] == list(range(10))


def test_nan_and_infinity(server):
    run_id = server.new_run()["info"]["run_id"]
    body = ('{"run_id": "%s", "metrics": [{"key": "n", "value": NaN, "timestamp": 1, "step": 0},'
            '{"key": "i", "value": Infinity, "timestamp": 1, "step": 0},'
            '{"key": "j", "value": "-Infinity", "timestamp": 1, "step": 0}]}' % run_id)
    r = server.call("POST", "/api/2.0/mlflow/runs/log-batch", data=body,
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    run = server.mlflow("GET", "runs/get", {"run_id": run_id})["run"]
    values = {m["key"]: m["value"] for m in run["data"]["metrics"]}
    assert values == {"n": "NaN", "i": "Infinity", "j": "-Infinity"}


def test_update_run_and_lifecycle(server):
    run_id = server.new_run()["info"]["run_id"]
    info = server.mlflow("POST", "runs/update", {"run_id": run_id, "status": "FINISHED",
                                                 "end_time": now_ms(), "run_name": "renamed"})["run_info"]
    assert info["status"] == "FINISHED" and info["run_name"] == "renamed" and "end_time" in info
    server.mlflow("POST", "runs/delete", {"run_id": run_id})
    assert server.mlflow("GET", "runs/get", {"run_id": run_id})["run"]["info"]["lifecycle_stage"] == "deleted"
    r = server.mlflow("POST", "runs/log-parameter", {"run_id": run_id, "key": "x", "value": "1"}, expect=400)
    assert "active" in r["message"]
    server.mlflow("POST", "runs/restore", {"run_id": run_id})
    server.mlflow("POST", "runs/log-parameter", {"run_id": run_id, "key": "x", "value": "1"})


def test_log_inputs(server):
    run_id = server.new_run()["info"]["run_id"]
    server.mlflow("POST", "runs/log-inputs", {"run_id": run_id, "datasets": [{
        "tags": [{"key": "mlflow.data.context", "value": "training"}],
        "dataset": {"name": "iris", "digest": "abc123", "source_type": "local", "source": "/data/iris.csv",
                    "schema": "{}"}}]})
    run = server.mlflow("GET", "runs/get", {"run_id": run_id})["run"]
    inputs = run["inputs"]["dataset_inputs"]
    assert inputs[0]["dataset"]["name"] == "iris"
    assert inputs[0]["tags"] == [{"key": "mlflow.data.context", "value": "training"}]


def test_history_paging(server):
    run_id = server.new_run()["info"]["run_id"]
    for chunk in range(3):
        server.mlflow("POST", "runs/log-batch", {"run_id": run_id, "metrics": [
            {"key": "loss", "value": float(i), "timestamp": 1000 + i, "step": i}
            for i in range(chunk * 1000, chunk * 1000 + 1000)]})
    points = server.paginate("GET", "metrics/get-history",
                             {"run_id": run_id, "metric_key": "loss", "max_results": 700}, "metrics")
    assert [m["step"] for m in points] == list(range(3000))


def test_history_paging_with_duplicate_steps(server):
    run_id = server.new_run()["info"]["run_id"]
    server.mlflow("POST", "runs/log-batch", {"run_id": run_id, "metrics": [
        {"key": "d", "value": float(i), "timestamp": 5, "step": 0} for i in range(7)]})
    points = server.paginate("GET", "metrics/get-history",
                             {"run_id": run_id, "metric_key": "d", "max_results": 3}, "metrics")
    values = [m["value"] for m in points]
    assert sorted(values) == [float(i) for i in range(7)]


def test_history_bulk_interval_samples(server):
    exp = server.new_experiment("bulk")
    run_a = server.new_run(exp)["info"]["run_id"]
    run_b = server.new_run(exp)["info"]["run_id"]
    for run_id in (run_a, run_b):
        server.mlflow("POST", "runs/log-batch", {"run_id": run_id, "metrics": [
            {"key": "loss", "value": math.exp(-i / 100), "timestamp": i, "step": i} for i in range(1000)]})
    r = server.call("GET", "/api/2.0/mlflow/metrics/get-history-bulk-interval",
                    params=[("run_ids", run_a), ("run_ids", run_b), ("metric_key", "loss"),
                            ("max_results", "10")])
    assert r.status_code == 200, r.text
    points = r.json()["metrics"]
    for run_id in (run_a, run_b):
        steps = [p["step"] for p in points if p["run_id"] == run_id]
        # MLflow's choice: 10 evenly spaced positions plus the last step.
        assert steps == list(range(0, 1000, 100)) + [999]
    r = server.call("GET", "/api/2.0/mlflow/metrics/get-history-bulk-interval",
                    params={"run_ids": run_a, "metric_key": "loss", "start_step": 100, "end_step": 200,
                            "max_results": 5})
    steps = [p["step"] for p in r.json()["metrics"]]
    # MLflow keeps only positions below the in-range count (see step_sampling.cc).
    assert steps == [100, 200]
