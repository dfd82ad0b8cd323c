"""An MLflow-style training step: reads MLFLOW_TRACKING_URI, MLFLOW_RUN_ID
and MLFLOW_TRACKING_TOKEN from the environment (as the mlflow client does)
and logs a metric over the MLflow REST API."""
import os
import time

import requests

uri = os.environ["MLFLOW_TRACKING_URI"]
run_id = os.environ["MLFLOW_RUN_ID"]
token = os.environ.get("MLFLOW_TRACKING_TOKEN")
headers = {"Authorization": f"Bearer {token}"} if token else {}
for step in range(3):
    r = requests.post(f"{uri}/api/2.0/mlflow/runs/log-metric",
                      json={"run_id": run_id, "key": "loss", "value": 1.0 / (step + 1),
                            "timestamp": int(time.time() * 1000), "step": step},
                      headers=headers)
    r.raise_for_status()
print("logged 3 steps to run", run_id, flush=True)
