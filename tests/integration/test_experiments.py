"""MLflow experiments API against the real server (SQLite and PostgreSQL)."""
import uuid


def test_create_get_and_get_by_name(server):
    name = "exp-" + uuid.uuid4().hex[:8]
    exp_id = server.mlflow("POST", "experiments/create",
                           {"name": name, "tags": [{"key": "team", "value": "vision"}]})["experiment_id"]
    assert isinstance(exp_id, str) and exp_id.isdigit()
    got = server.mlflow("GET", "experiments/get", {"experiment_id": exp_id})["experiment"]
    assert got["name"] == name
    assert got["lifecycle_stage"] == "active"
    assert got["artifact_location"] == f"mlflow-artifacts:/{exp_id}"
    assert got["tags"] == [{"key": "team", "value": "vision"}]
    by_name = server.mlflow("GET", "experiments/get-by-name", {"experiment_name": name})["experiment"]
    assert by_name["experiment_id"] == exp_id


def test_default_experiment_exists(server):
    got = server.mlflow("GET", "experiments/get", {"experiment_id": "0"})["experiment"]
    assert got["name"] == "Default"


def test_duplicate_name_is_rejected(server):
    name = "dup-" + uuid.uuid4().hex[:8]
    server.mlflow("POST", "experiments/create", {"name": name})
    r = server.mlflow("POST", "experiments/create", {"name": name}, expect=400)
    assert r["error_code"] == "RESOURCE_ALREADY_EXISTS"


def test_unknown_experiment_is_404(server):
    r = server.mlflow("GET", "experiments/get", {"experiment_id": "987654"}, expect=404)
    assert r["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    r = server.mlflow("GET", "experiments/get-by-name", {"experiment_name": "nope-" + uuid.uuid4().hex},
                      expect=404)
    assert r["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_delete_restore_rename_and_view_types(server):
    exp_id = server.new_experiment("life")
    server.mlflow("POST", "experiments/delete", {"experiment_id": exp_id})
    assert server.mlflow("GET", "experiments/get", {"experiment_id": exp_id})["experiment"][
        "lifecycle_stage"] == "deleted"
    active = server.mlflow("POST", "experiments/search", {"max_results": 50000})["experiments"]
    assert exp_id not in [e["experiment_id"] for e in active]
    deleted = server.mlflow("POST", "experiments/search",
                            {"view_type": "DELETED_ONLY", "max_results": 1000})["experiments"]
    assert exp_id in [e["experiment_id"] for e in deleted]
    server.mlflow("POST", "experiments/restore", {"experiment_id": exp_id})
    new_name = "renamed-" + uuid.uuid4().hex[:8]
    server.mlflow("POST", "experiments/update", {"experiment_id": exp_id, "new_name": new_name})
    assert server.mlflow("GET", "experiments/get", {"experiment_id": exp_id})["experiment"]["name"] == new_name


def test_experiment_tags(server):
    exp_id = server.new_experiment("tags")
    server.mlflow("POST", "experiments/set-experiment-tag", {"experiment_id": exp_id, "key": "k", "value": "v1"})
    server.mlflow("POST", "experiments/set-experiment-tag", {"experiment_id": exp_id, "key": "k", "value": "v2"})
    tags = server.mlflow("GET", "experiments/get", {"experiment_id": exp_id})["experiment"]["tags"]
    assert tags == [{"key": "k", "value": "v2"}]
    server.mlflow("POST", "experiments/delete-experiment-tag", {"experiment_id": exp_id, "key": "k"})
    assert "tags" not in server.mlflow("GET", "experiments/get", {"experiment_id": exp_id})["experiment"]


def test_search_filter_order_and_pagination(server):
    prefix = "page-" + uuid.uuid4().hex[:6]
    ids = [server.mlflow("POST", "experiments/create", {"name": f"{prefix}-{i}"})["experiment_id"]
           for i in range(5)]
    found = server.paginate("POST", "experiments/search",
                            {"max_results": 2, "filter": f"name LIKE '{prefix}-%'", "order_by": ["name ASC"]},
                            "experiments")
    assert [e["experiment_id"] for e in found] == ids


def test_legacy_list(server):
    exp_id = server.new_experiment("legacy")
    listed = server.mlflow("GET", "experiments/list", {"view_type": "ALL"})["experiments"]
    assert exp_id in [e["experiment_id"] for e in listed]


def test_search_bad_filter_names_position(server):
    r = server.mlflow("POST", "experiments/search", {"filter": "name = "}, expect=400)
    assert r["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "column" in r["message"]
