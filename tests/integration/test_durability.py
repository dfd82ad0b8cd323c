"""Every acknowledged write survives kill -9; SIGTERM stops cleanly."""
import signal
import threading
import time

import requests

from conftest import BACKENDS, make_server
import pytest


@pytest.mark.parametrize("backend", BACKENDS)
def test_acknowledged_batches_survive_kill_9(backend):
    server = make_server(backend).start()
    try:
        run_id = server.new_run()["info"]["run_id"]
        acknowledged = []
        lock = threading.Lock()
        stop = threading.Event()

        def writer(worker):
            session = requests.Session()
            batch = 0
            while not stop.is_set():
                metrics = [{"key": f"w{worker}", "value": float(i), "timestamp": batch, "step": batch * 100 + i}
                           for i in range(100)]
                try:
                    r = session.post(server.url + "/api/2.0/mlflow/runs/log-batch",
                                     json={"run_id": run_id, "metrics": metrics}, timeout=10)
                except requests.RequestException:
                    return
                if r.status_code == 200:
                    with lock:
                        acknowledged.append((worker, batch))
                batch += 1

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
        for t in threads:
            t.start()
        deadline = time.time() + 20
        while len(acknowledged) < 40 and time.time() < deadline:
            time.sleep(0.02)
        server.kill9()
        stop.set()
        for t in threads:
            t.join()
        assert len(acknowledged) >= 40

        server.start()
        for worker in range(4):
            hist = server.mlflow("GET", "metrics/get-history", {"run_id": run_id, "metric_key": f"w{worker}"})
            steps = {m["step"] for m in hist["metrics"]}
            for w, batch in acknowledged:
                if w == worker:
                    assert all(batch * 100 + i in steps for i in range(100)), (worker, batch)
            # and no torn batch: every batch present is complete
            batches = {s // 100 for s in steps}
            assert all(sum(1 for s in steps if s // 100 == b) == 100 for b in batches)
    finally:
        server.stop()


def test_sigterm_finishes_and_exits_zero():
    server = make_server("sqlite").start()
    server.new_run()
    server.stop(sig=signal.SIGTERM)
    assert server.proc.returncode == 0
    assert "stopped" in server.read_log()
    # the database reopens with the data
    server.start()
    assert server.mlflow("POST", "experiments/search", {})["experiments"]
    server.stop()
