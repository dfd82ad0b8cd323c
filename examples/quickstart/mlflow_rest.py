"""A tiny MLflow REST 2.0 client on the Python standard library.

The quick start uses it so it runs with nothing but Debian packages; with
the `mlflow` package installed, `mlflow.set_tracking_uri(PLINTH_URL)` works
the same way against Plinth.
"""
import json
import os
import urllib.error
import urllib.parse
import urllib.request


class MlflowError(RuntimeError):
    pass


class Client:
    def __init__(self, url=None, token=None):
        self.url = (url or os.environ.get("PLINTH_URL", "http://127.0.0.1:8470")).rstrip("/")
        self.token = token or os.environ.get("PLINTH_TOKEN")

    def _request(self, method, path, body=None, data=None, content_type="application/json"):
        headers = {}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            headers["Content-Type"] = content_type
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            detail = e.read().decode(errors="replace")
            raise MlflowError(f"{method} {path}: HTTP {e.code}: {detail}") from None
        return json.loads(raw) if raw else {}

    def call(self, method, endpoint, body=None):
        path = "/api/2.0/mlflow/" + endpoint
        if method == "GET" and body:
            path += "?" + urllib.parse.urlencode(body, doseq=True)
            body = None
        return self._request(method, path, body)

    # --- the calls the quick start needs -------------------------------
    def get_or_create_experiment(self, name):
        try:
            return self.call("GET", "experiments/get-by-name", {"experiment_name": name})["experiment"]["experiment_id"]
        except MlflowError:
            return self.call("POST", "experiments/create", {"name": name})["experiment_id"]

    def create_run(self, experiment_id, run_name, start_time):
        return self.call("POST", "runs/create", {"experiment_id": experiment_id, "run_name": run_name,
                                                 "start_time": start_time})["run"]

    def log_batch(self, run_id, metrics=(), params=(), tags=()):
        self.call("POST", "runs/log-batch", {"run_id": run_id, "metrics": list(metrics),
                                             "params": list(params), "tags": list(tags)})

    def finish_run(self, run_id, end_time):
        self.call("POST", "runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": end_time})

    def upload_artifact(self, artifact_uri, relative_path, local_file):
        prefix = "mlflow-artifacts:/"
        assert artifact_uri.startswith(prefix), artifact_uri
        path = "/api/2.0/mlflow-artifacts/artifacts/" + artifact_uri[len(prefix):] + "/" + relative_path
        with open(local_file, "rb") as f:
            self._request("PUT", urllib.parse.quote(path), data=f.read(),
                          content_type="application/octet-stream")
