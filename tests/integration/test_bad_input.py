"""Bad input: MLflow error codes, clear messages, nothing partially written."""
import json


def post_raw(server, endpoint, body):
    return server.call("POST", "/api/2.0/mlflow/" + endpoint, data=body,
                       headers={"Content-Type": "application/json"})


def test_malformed_json(server):
    r = post_raw(server, "experiments/create", '{"name": ')
    assert r.status_code == 400
    assert r.json()["error_code"] == "BAD_REQUEST"
    assert "byte" in r.json()["message"]


def test_wrong_types(server):
    run_id = server.new_run()["info"]["run_id"]
    r = server.mlflow("POST", "runs/log-metric", {"run_id": run_id, "key": "m", "value": "abc", "timestamp": 1},
                      expect=400)
    assert r["error_code"] == "INVALID_PARAMETER_VALUE" and "value" in r["message"]
    r = server.mlflow("POST", "runs/log-metric", {"run_id": run_id, "key": "m", "value": 1, "timestamp": "x"},
                      expect=400)
    assert "timestamp" in r["message"]
    r = server.mlflow("POST", "experiments/create", {"name": 5}, expect=400)
    assert r["error_code"] == "INVALID_PARAMETER_VALUE"


def test_missing_required(server):
    r = server.mlflow("POST", "runs/log-parameter", {"key": "a", "value": "b"}, expect=400)
    assert "Missing value for required parameter 'run_id'" in r["message"]


def test_invalid_keys(server):
    run_id = server.new_run()["info"]["run_id"]
    for key in ["../escape", "/abs", "a//b", "bad$char", "x" * 251]:
        r = server.mlflow("POST", "runs/log-parameter", {"run_id": run_id, "key": key, "value": "1"}, expect=400)
        assert r["error_code"] == "INVALID_PARAMETER_VALUE", key


def test_over_limit_batch_writes_nothing(server):
    run_id = server.new_run()["info"]["run_id"]
    metrics = [{"key": "m", "value": 1, "timestamp": 1, "step": i} for i in range(1001)]
    r = server.mlflow("POST", "runs/log-batch", {"run_id": run_id, "metrics": metrics}, expect=400)
    assert r["error_code"] == "INVALID_PARAMETER_VALUE" and "1000" in r["message"]
    # a bad key late in a batch: nothing of the batch is written
    metrics = [{"key": "ok", "value": 1, "timestamp": 1, "step": i} for i in range(10)]
    metrics.append({"key": "../bad", "value": 1, "timestamp": 1, "step": 0})
    r = server.mlflow("POST", "runs/log-batch", {"run_id": run_id, "metrics": metrics}, expect=400)
    assert "metrics[10].key" in r["message"]
    hist = server.mlflow("GET", "metrics/get-history", {"run_id": run_id, "metric_key": "ok"})
    assert hist["metrics"] == []


def test_duplicate_param_keys_in_batch(server):
    run_id = server.new_run()["info"]["run_id"]
    r = server.mlflow("POST", "runs/log-batch", {"run_id": run_id, "params": [
        {"key": "a", "value": "1"}, {"key": "a", "value": "1"}]}, expect=400)
    assert "Duplicate" in r["message"]


def test_over_limit_values(server):
    run_id = server.new_run()["info"]["run_id"]
    r = server.mlflow("POST", "runs/log-parameter", {"run_id": run_id, "key": "p", "value": "x" * 6001}, expect=400)
    assert "6000" in r["message"]
    r = server.mlflow("POST", "runs/set-tag", {"run_id": run_id, "key": "t", "value": "x" * 8001}, expect=400)
    assert "8000" in r["message"]
    r = server.mlflow("POST", "experiments/create", {"name": "e" * 501}, expect=400)
    assert "500" in r["message"]


def test_negative_timestamp(server):
    run_id = server.new_run()["info"]["run_id"]
    r = server.mlflow("POST", "runs/log-metric", {"run_id": run_id, "key": "m", "value": 1, "timestamp": -1},
                      expect=400)
    assert "timestamp" in r["message"]


def test_unknown_ids(server):
    r = server.mlflow("GET", "runs/get", {"run_id": "0" * 32}, expect=404)
    assert r["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    r = server.mlflow("POST", "runs/log-batch", {"run_id": "f" * 32, "metrics": []}, expect=404)
    assert r["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_oversized_body_is_413(server):
    body = json.dumps({"name": "x" * (2 << 20)})
    r = post_raw(server, "experiments/create", body)
    assert r.status_code == 413
    assert r.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"


def test_unknown_route_is_404_endpoint_not_found(server):
    r = server.call("GET", "/api/2.0/mlflow/no/such/endpoint")
    assert r.status_code == 404
    assert r.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    r = server.call("GET", "/api/2.0/mlflow/runs/log-batch")  # wrong method
    assert r.status_code == 405
    assert r.json()["error_code"] == "ENDPOINT_NOT_FOUND"
