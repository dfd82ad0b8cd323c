"""runs/search: filter grammar, ordering and pagination over HTTP."""


def make_runs(server):
    exp = server.new_experiment("search")
    runs = []
    for i, (acc, lr, model) in enumerate([(0.95, "0.01", "cnn"), (0.91, "0.1", "mlp"),
                                          (0.80, "0.01", "CNN-big"), (0.99, "0.01", "rnn")]):
        run = server.new_run(exp, run_name=f"r{i}", start_time=1000 + i)
        rid = run["info"]["run_id"]
        server.mlflow("POST", "runs/log-batch", {"run_id": rid,
                                                "metrics": [{"key": "acc", "value": acc, "timestamp": 1, "step": 0}],
                                                "params": [{"key": "lr", "value": lr}],
                                                "tags": [{"key": "model", "value": model}]})
        runs.append(rid)
    return exp, runs


def search(server, exp, **body):
    body["experiment_ids"] = [exp]
    return [r["info"]["run_name"] for r in server.mlflow("POST", "runs/search", body).get("runs", [])]


def test_filter_and_order(server):
    exp, _ = make_runs(server)
    assert search(server, exp, filter="metrics.acc > 0.9 and params.lr = '0.01'",
                  order_by=["metrics.acc DESC"]) == ["r3", "r0"]
    assert search(server, exp, filter="tags.model LIKE 'cnn%'") == ["r0"]
    assert search(server, exp, filter="tags.model ILIKE 'cnn%'") == ["r2", "r0"]
    assert search(server, exp, filter="params.lr != '0.01'") == ["r1"]
    assert search(server, exp, filter="attributes.run_name = 'r2'") == ["r2"]


def test_default_order_is_start_time_desc(server):
    exp, _ = make_runs(server)
    assert search(server, exp) == ["r3", "r2", "r1", "r0"]


def test_run_id_in(server):
    exp, runs = make_runs(server)
    names = search(server, exp, filter=f"attributes.run_id IN ('{runs[0]}', '{runs[2]}')")
    assert sorted(names) == ["r0", "r2"]


def test_pagination(server):
    exp, _ = make_runs(server)
    runs = server.paginate("POST", "runs/search",
                           {"experiment_ids": [exp], "max_results": 3, "order_by": ["metrics.acc ASC"]}, "runs")
    names = [r["info"]["run_name"] for r in runs]
    assert names == ["r2", "r1", "r0", "r3"]


def test_bad_filter_reports_position(server):
    exp, _ = make_runs(server)
    r = server.mlflow("POST", "runs/search", {"experiment_ids": [exp], "filter": "metrics.acc > 0.9 or params.lr = '1'"},
                      expect=400)
    assert r["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "column" in r["message"]


def test_bad_page_token(server):
    exp, _ = make_runs(server)
    r = server.mlflow("POST", "runs/search", {"experiment_ids": [exp], "page_token": "garbage!"}, expect=400)
    assert r["error_code"] == "INVALID_PARAMETER_VALUE"


def test_max_results_limit(server):
    exp, _ = make_runs(server)
    r = server.mlflow("POST", "runs/search", {"experiment_ids": [exp], "max_results": 50001}, expect=400)
    assert r["error_code"] == "INVALID_PARAMETER_VALUE"
