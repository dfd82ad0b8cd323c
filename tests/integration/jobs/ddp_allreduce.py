"""A two-replica PyTorch job: joins the process group from the environment
Plinth sets (MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK) over Gloo, all-
reduces its rank and prints what it saw."""
import json
import os

import torch
import torch.distributed as dist

env = {k: os.environ.get(k) for k in
       ("MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "RANK", "LOCAL_RANK", "CUDA_VISIBLE_DEVICES")}
dist.init_process_group("gloo", init_method="env://")
value = torch.tensor([float(dist.get_rank() + 1)])
dist.all_reduce(value)
print(json.dumps({"env": env, "sum": value.item(), "world": dist.get_world_size()}), flush=True)
dist.destroy_process_group()
