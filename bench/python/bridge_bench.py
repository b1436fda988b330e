"""One trainer rank in Python against a running bridge: delivered tokens/s, and the data-wait
fraction of a simulated training loop. Prints one JSON line. Run by BridgeBench."""

import json
import sys
import time

sys.path.insert(0, sys.argv[1])  # trainer-bridge/python
import refinery_bridge as rb  # noqa: E402

address, run, batches, steps, step_ms = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
try:
    import numpy  # noqa: F401
    view = "numpy"
except ImportError:
    view = "bytes"

hello = dict(rank=0, world_size=1, streams={"bench": 1.0}, seed=1, prefetch=64)
with rb.BridgeClient.connect(address, run_id=run + "-throughput", **hello) as c:
    for _ in range(20):  # warm up: connection, first fetches
        c.next()
    t0 = time.perf_counter()
    tokens = 0
    for _ in range(batches):
        b = c.next()
        a = b.array() if view == "numpy" else b.tokens
        tokens += len(b.tokens) // b.itemsize
    seconds = time.perf_counter() - t0

with rb.BridgeClient.connect(address, run_id=run + "-loop", **hello) as c:
    c.next()
    wait = 0.0
    t_loop = time.perf_counter()
    for step in range(steps):
        w0 = time.perf_counter()
        b = c.next()
        x = b.array() if view == "numpy" else b.tokens
        wait += time.perf_counter() - w0
        time.sleep(step_ms / 1000.0)  # the model's forward and backward
        if step % 10 == 0:
            c.report(step, loss=1.0, tokens_seen=step, data_wait_ms=wait * 1000)
    loop = time.perf_counter() - t_loop

result = {"tokens": tokens, "seconds": seconds, "view": view, "wait": wait, "loop": loop, "steps": steps}

if rb.TokenBatchDataset is not None:  # bridge to torch tensors, and the collate's own cost
    import torch

    n = min(batches, 400)
    ds = rb.TokenBatchDataset(address, run_id=run + "-torch", **hello)
    it = iter(ds)
    next(it)
    t0 = time.perf_counter()
    torch_tokens = 0
    for _ in range(n):
        step = next(it)
        torch_tokens += step["input_ids"].numel()
    result["torch_tokens"], result["torch_seconds"] = torch_tokens, time.perf_counter() - t0
    with rb.BridgeClient.connect(address, run_id=run + "-collate", **hello) as c:
        held = [c.next() for _ in range(50)]
    t0 = time.perf_counter()
    for b in held:
        rb._as_tensors(b, torch)
    result["collate_ms"] = (time.perf_counter() - t0) * 1000 / len(held)
    result["collate_spans"] = len(held[0].header["spans"])

print(json.dumps(result))
