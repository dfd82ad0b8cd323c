#!/usr/bin/python3
"""Writes a synthetic job trace for `plinth sim` (docs/simulator.md).

Deterministic for a given --seed. Jobs arrive as a Poisson process whose rate
swings +-50% over a day (busy afternoons, quiet nights) and is set so that the
GPU-seconds asked for average --load of --gpus GPUs. The mix of shapes,
durations and priorities is a rough picture of a research cluster:

  shape (gpus per replica x replicas)   share
  0.25 or 0.5 (fractional)               20%
  1                                      35%
  2, 4                                   25%
  8 (a whole node)                       12%
  2 x 8, 4 x 8 (multi-node gangs)         8%

Durations are log-normal (median 30 min, clipped to 1 min .. 3 days); a
third of the jobs state a max_runtime (their duration rounded up to the next
half hour, times 1-2: users over-estimate). 10% of the jobs are urgent
(priority 10, not preemptible), 20% are best-effort (priority -10).

Usage: make_trace.py [--jobs 100000] [--seed 1] [--teams vision,nlp,speech]
                     [--team-weights 5,3,2] [--gpus 1000] [--load 0.85] [-o trace.csv]
"""
import argparse
import math
import random
import sys

SHAPES = [  # (gpus per replica, replicas, probability)
    (0.25, 1, 0.10), (0.5, 1, 0.10), (1, 1, 0.35), (2, 1, 0.15), (4, 1, 0.10),
    (8, 1, 0.12), (8, 2, 0.06), (8, 4, 0.02),
]
MEDIAN_S, SIGMA, MIN_S, MAX_S = 1800.0, 1.2, 60.0, 3 * 86400.0
DAY_S = 86400.0


def mean_gpu_seconds(rng, samples=20000):
    """Monte-Carlo mean of gpus x replicas x duration, for the arrival rate."""
    total = 0.0
    for _ in range(samples):
        gpus, replicas = pick_shape(rng)
        total += gpus * replicas * duration(rng)
    return total / samples


def pick_shape(rng):
    u = rng.random()
    for gpus, replicas, p in SHAPES:
        if u < p:
            return gpus, replicas
        u -= p
    return SHAPES[-1][0], SHAPES[-1][1]


def duration(rng):
    return min(MAX_S, max(MIN_S, rng.lognormvariate(math.log(MEDIAN_S), SIGMA)))


def pick(rng, items, weights):
    u = rng.random() * sum(weights)
    for item, w in zip(items, weights):
        if u < w:
            return item
        u -= w
    return items[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=100000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--teams", default="vision,nlp,speech")
    parser.add_argument("--team-weights", default="5,3,2")
    parser.add_argument("--gpus", type=float, default=1000, help="cluster GPUs, for the arrival rate")
    parser.add_argument("--load", type=float, default=0.85, help="offered load, fraction of --gpus")
    parser.add_argument("-o", "--output", default="-")
    args = parser.parse_args()
    teams = args.teams.split(",")
    weights = [float(w) for w in args.team_weights.split(",")]
    if len(weights) != len(teams) or args.jobs < 1 or args.gpus <= 0 or args.load <= 0:
        sys.exit("make_trace.py: need one weight per team, --jobs >= 1, --gpus > 0, --load > 0")

    rng = random.Random(args.seed)
    rate = args.load * args.gpus / mean_gpu_seconds(random.Random(args.seed + 1))  # jobs/s
    out = sys.stdout if args.output == "-" else open(args.output, "w")
    out.write("submit_time,duration,gpus,replicas,team,priority,preemptible,max_runtime\n")
    t = 0.0
    for _ in range(args.jobs):
        # Thinning of a Poisson process whose rate follows the time of day.
        while True:
            t += rng.expovariate(rate * 1.5)
            if rng.random() < (1 + 0.5 * math.sin(2 * math.pi * t / DAY_S)) / 1.5:
                break
        gpus, replicas = pick_shape(rng)
        d = duration(rng)
        u = rng.random()
        priority, preemptible = (10, "false") if u < 0.1 else (-10, "true") if u < 0.3 else (0, "true")
        max_runtime = ""
        if rng.random() < 1 / 3:
            max_runtime = str(int(math.ceil(d / 1800) * 1800 * (1 + rng.random())))
        out.write(f"{t:.0f},{d:.0f},{gpus:g},{replicas},{pick(rng, teams, weights)},"
                  f"{priority},{preemptible},{max_runtime}\n")
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
