#!/usr/bin/python3
"""Load on `ordo serve`, against `ordo bench` on the same machine, in one run:

  1. saturation: CLIENTS concurrent clients, each sending REQUESTS requests of 1-4 held-out
     lines; the server's tokens/s (from its /metrics) against `ordo bench --lengths` on the
     token lengths of a mean-sized batch of the same lines (the engine alone);
  2. single sentences: CLIENTS concurrent clients of one line each, against one client at a time.

Reports throughput, p50/p99 latency and the mean batch size. The clients are Python threads on
the same machine as the server, so they take CPU from it: the figures are a floor.

    tools/bench/serve_load.py [--model DIR] [--threads N] [--clients 64] [--requests 50]
"""
import argparse
import http.client
import json
import os
import random
import re
import signal
import statistics
import subprocess
import threading
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../..")


def metric(port, name):
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("GET", "/metrics")
    text = connection.getresponse().read().decode()
    return float(re.search(rf"^{name} (\S+)$", text, re.M).group(1))


def run_clients(port, clients, requests, pick):
    latencies, lock = [], threading.Lock()

    def client(index):
        rng = random.Random(index)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        for _ in range(requests):
            body = json.dumps({"inputs": pick(rng)})
            start = time.perf_counter()
            connection.request("POST", "/embed", body=body,
                               headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            assert response.status == 200, response.status
            with lock:
                latencies.append(time.perf_counter() - start)
        connection.close()

    before = (metric(port, "ordo_tokens_total"), metric(port, "ordo_batch_size_sum"),
              metric(port, "ordo_batch_size_count"))
    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    tokens = metric(port, "ordo_tokens_total") - before[0]
    texts = metric(port, "ordo_batch_size_sum") - before[1]
    batches = metric(port, "ordo_batch_size_count") - before[2]
    latencies.sort()
    return {"seconds": seconds, "requests": len(latencies), "tokens_per_s": tokens / seconds,
            "requests_per_s": len(latencies) / seconds,
            "p50_ms": 1000 * latencies[len(latencies) // 2],
            "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)],
            "mean_batch_texts": texts / batches if batches else 0.0}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=os.path.join(ROOT, "models/ordo-sinusoidal"))
    parser.add_argument("--ordo", default=os.path.join(ROOT, "build/tools/ordo"))
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()

    lines = [line for line in open(os.path.join(ROOT, "models/heldout.txt"), encoding="utf-8")
             .read().splitlines() if line][:2000]
    server = subprocess.Popen([args.ordo, "serve", "--model", args.model, "--port", "0",
                               "--threads", str(args.threads)], stderr=subprocess.PIPE,
                              text=True, env=dict(os.environ, OMP_WAIT_POLICY="passive"))
    port = int(re.search(r":(\d+)\s*$", server.stderr.readline()).group(1))
    try:
        run_clients(port, 8, 5, lambda rng: rng.sample(lines, 2))  # warm-up
        mixed = run_clients(port, args.clients, args.requests,
                            lambda rng: rng.sample(lines, rng.choice([1, 2, 3, 4])))
        single = run_clients(port, args.clients, args.requests // 2,
                             lambda rng: [rng.choice(lines)])
        serial = run_clients(port, 1, args.clients * args.requests // 8,
                             lambda rng: [rng.choice(lines)])
        # The engine alone on a batch like the server's: token lengths of as many lines.
        connection = http.client.HTTPConnection("127.0.0.1", port)
        count = max(1, round(mixed["mean_batch_texts"]))
        connection.request("POST", "/tokenize", body=json.dumps({"inputs": lines[:count]}))
        lengths = [len(tokens) for tokens in json.loads(connection.getresponse().read())]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()
    bench = json.loads(subprocess.run(
        [args.ordo, "bench", "--model", args.model, "--threads", str(args.threads), "--lengths",
         ",".join(map(str, lengths)), "--json"], capture_output=True, text=True, check=True,
        env=dict(os.environ, OMP_WAIT_POLICY="passive")).stdout.splitlines()[-1])
    engine = bench["tokens_per_s"]
    print(f"model {args.model}, {args.threads} threads, {args.clients} clients")
    for name, result in (("mixed 1-4 lines", mixed), ("single line", single),
                         ("single line, one client", serial)):
        print(f"{name:24s} {result['requests']:5d} requests in {result['seconds']:6.2f} s: "
              f"{result['requests_per_s']:7.1f} req/s, {result['tokens_per_s']:8.0f} tokens/s, "
              f"p50 {result['p50_ms']:6.1f} ms, p99 {result['p99_ms']:6.1f} ms, "
              f"mean batch {result['mean_batch_texts']:5.1f} texts")
    print(f"ordo bench on {len(lengths)} such lines: {engine:.0f} tokens/s; server at saturation "
          f"{mixed['tokens_per_s'] / engine:.0%} of it")
    print(f"single lines, {args.clients} clients vs one: "
          f"{single['requests_per_s'] / serial['requests_per_s']:.1f}x the requests per second")


if __name__ == "__main__":
    main()
