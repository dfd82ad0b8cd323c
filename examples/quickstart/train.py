"""Quick start: train a small classifier with PyTorch and track it in Plinth.

Generates a two-moons dataset, trains a 2-layer MLP, logs its parameters and
per-epoch loss/accuracy to a Plinth run (MLflow REST API), uploads the
TorchScript model as an artifact in MLflow's model layout (an `MLmodel` file
beside `data/model.pth`, recorded with `runs/log-model`, so MLflow tools that
read a model folder understand it), registers it as a model version, and
points the alias "champion" at it.

Run as a Plinth job (`plinth run ... -- python3 train.py`, as `make demo`
does), it logs to the run Plinth created for the job (MLFLOW_RUN_ID), the
way an MLflow client does; run directly, it creates its own run.
"""
import json
import math
import os
import platform
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mlflow_rest import Client  # noqa: E402

MODEL_NAME = os.environ.get("QUICKSTART_MODEL", "quickstart-classifier")
PARAMS = {"hidden": 16, "lr": 0.05, "epochs": 60, "seed": 7, "samples": 800}


def mlmodel(run_id, model_size_bytes):
    """The MLmodel description MLflow's pytorch flavor writes for a model
    saved under the artifact path "model" (data in data/model.pth)."""
    return {
        "artifact_path": "model",
        "flavors": {
            "python_function": {
                "data": "data",
                "loader_module": "mlflow.pytorch",
                "pickle_module_name": "mlflow.pytorch.pickle_module",
                "python_version": platform.python_version(),
            },
            "pytorch": {"code": None, "model_data": "data", "pytorch_version": torch.__version__},
        },
        "mlflow_version": "2.12.1",
        "model_size_bytes": model_size_bytes,
        "model_uuid": uuid.uuid4().hex,
        "run_id": run_id,
        "utc_time_created": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f"),
    }


def to_yaml(value, indent=0):
    """Block-style YAML of nested dicts of scalars, the form MLmodel files take."""
    lines = []
    for key, item in value.items():
        pad = "  " * indent
        if isinstance(item, dict):
            lines.append(f"{pad}{key}:")
            lines.append(to_yaml(item, indent + 1))
        else:
            lines.append(f"{pad}{key}: {'null' if item is None else json.dumps(item)}")
    return "\n".join(lines)


def two_moons(n, generator):
    t = torch.rand(n, generator=generator) * math.pi
    upper = torch.stack([torch.cos(t), torch.sin(t)], 1)
    lower = torch.stack([1 - torch.cos(t), 0.5 - torch.sin(t)], 1)
    half = n // 2
    x = torch.cat([upper[:half], lower[half:]]) + 0.1 * torch.randn(n, 2, generator=generator)
    y = torch.cat([torch.zeros(half), torch.ones(n - half)])
    return x, y


def main():
    client = Client()
    now = lambda: int(time.time() * 1000)  # noqa: E731
    if os.environ.get("MLFLOW_RUN_ID"):
        run = client.call("GET", "runs/get", {"run_id": os.environ["MLFLOW_RUN_ID"]})["run"]
        exp_id = run["info"]["experiment_id"]
        print(f"  logging to the job's run {run['info']['run_id']} "
              f"(job {os.environ.get('PLINTH_JOB_ID')}, GPU {os.environ.get('CUDA_VISIBLE_DEVICES')!r})")
    else:
        exp_id = client.get_or_create_experiment("quickstart")
        run = client.create_run(exp_id, "two-moons-mlp", now())
    run_id = run["info"]["run_id"]
    client.log_batch(run_id, params=[{"key": k, "value": str(v)} for k, v in PARAMS.items()],
                     tags=[{"key": "mlflow.source.name", "value": "examples/quickstart/train.py"}])

    generator = torch.Generator().manual_seed(PARAMS["seed"])
    torch.manual_seed(PARAMS["seed"])
    x, y = two_moons(PARAMS["samples"], generator)
    model = torch.nn.Sequential(torch.nn.Linear(2, PARAMS["hidden"]), torch.nn.Tanh(),
                                torch.nn.Linear(PARAMS["hidden"], 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=PARAMS["lr"])
    loss_fn = torch.nn.BCEWithLogitsLoss()
    for epoch in range(PARAMS["epochs"]):
        optimizer.zero_grad()
        logits = model(x).squeeze(1)
        loss = loss_fn(logits, y)
        loss.backward()
        optimizer.step()
        accuracy = ((logits > 0).float() == y).float().mean().item()
        ts = now()
        client.log_batch(run_id, metrics=[
            {"key": "loss", "value": loss.item(), "timestamp": ts, "step": epoch},
            {"key": "accuracy", "value": accuracy, "timestamp": ts, "step": epoch}])
        if epoch % 10 == 0 or epoch == PARAMS["epochs"] - 1:
            print(f"  epoch {epoch:3d}  loss {loss.item():.4f}  accuracy {accuracy:.3f}")

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.pt")
        torch.jit.script(model).save(path)
        description = mlmodel(run_id, os.path.getsize(path))
        mlmodel_path = os.path.join(tmp, "MLmodel")
        with open(mlmodel_path, "w") as f:
            f.write(to_yaml(description) + "\n")
        artifact_uri = run["info"]["artifact_uri"]
        client.upload_artifact(artifact_uri, "model/model.pt", path)  # TorchScript, for Plinth
        client.upload_artifact(artifact_uri, "model/data/model.pth", path)  # MLflow's layout
        client.upload_artifact(artifact_uri, "model/MLmodel", mlmodel_path)
    # What mlflow.<flavor>.log_model records: the run's logged-model history.
    client.call("POST", "runs/log-model", {"run_id": run_id, "model_json": json.dumps(description)})
    client.finish_run(run_id, now())

    try:
        client.call("POST", "registered-models/create", {"name": MODEL_NAME})
    except Exception:  # already registered by an earlier run of the demo
        pass
    version = client.call("POST", "model-versions/create", {
        "name": MODEL_NAME, "source": f"runs:/{run_id}/model", "run_id": run_id})["model_version"]["version"]
    client.call("POST", "registered-models/alias", {"name": MODEL_NAME, "alias": "champion", "version": version})
    print(f"RUN_ID={run_id}")
    print(f"EXPERIMENT_ID={exp_id}")
    print(f"MODEL={MODEL_NAME} VERSION={version} ALIAS=champion")
    print(f"FINAL_ACCURACY={accuracy:.3f}")


if __name__ == "__main__":
    main()
