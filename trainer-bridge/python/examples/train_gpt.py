"""A small GPT trained from the Refinery trainer-bridge: the example of a trainer.

    # one rank (CPU or one GPU)
    python3 train_gpt.py --bridge 127.0.0.1:8473 --run-id gpt-tiny --streams main=1 \
        --steps 200 --checkpoint-dir ckpt

    # two ranks on one machine (gloo on CPU, nccl on GPUs); resume on any world size
    torchrun --nproc-per-node 2 train_gpt.py --bridge 127.0.0.1:8473 --run-id gpt-tiny \
        --streams main=1 --steps 200 --checkpoint-dir ckpt

What it shows:

- attention kept inside each document (position ids restart per document; the mask is built from
  them), the loss only where ``loss_mask`` says (not padding, not spans under a takedown, only the
  assistant turns of a conversation);
- one checkpoint holding model, optimizer and the data cursor together (``dataset.state_dict()``,
  taken by every rank at the same step), written by rank 0;
- resume from it on another world size: the run continues with the batches an uninterrupted run
  would have read;
- metrics reported back to the bridge (loss, global tokens seen, data wait), which the console
  charts.

Each step prints ``step <n> rank <r> item <i> batch <id> loss <x> tokens <t>``: the global item is
the batch's place in the run, whatever the world size.
"""

import argparse
import math
import os
import time

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

import refinery_bridge as rb

VOCAB = {"cl100k_base": 100277, "o200k_base": 200019, "p50k_base": 50281, "r50k_base": 50257}


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x, allowed):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(d // self.heads)
        scores = scores.masked_fill(~allowed[:, None, :, :], float("-inf"))
        y = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    def __init__(self, vocab, seq_len, d=64, layers=2, heads=4):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(seq_len, d)
        self.blocks = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.ln = nn.LayerNorm(d)
        for e in (self.embed, self.pos):  # GPT-2's initialisation: small, as the output is tied
            nn.init.normal_(e.weight, std=0.02)

    def forward(self, ids, position_ids):
        x = self.embed(ids) + self.pos(position_ids)
        allowed = document_causal_mask(position_ids)
        for block in self.blocks:
            x = block(x, allowed)
        return F.linear(self.ln(x), self.embed.weight)  # tied output layer


def document_causal_mask(position_ids):
    """(rows, t, t) booleans: i may attend to j when j <= i and both are in one document (position
    ids restart at 0 at every document start)."""
    segment = torch.cumsum((position_ids == 0).to(torch.int64), dim=1)
    t = position_ids.shape[1]
    causal = torch.ones(t, t, dtype=torch.bool, device=position_ids.device).tril()
    return causal[None] & (segment[:, :, None] == segment[:, None, :])


def loss_of(model, step_data, device):
    ids = step_data["input_ids"].to(device)
    mask = step_data["loss_mask"].to(device)
    positions = step_data["position_ids"].to(device)
    if "labels" in step_data:  # rows carry a label token
        labels = step_data["labels"].to(device)
    else:  # each input predicts the next: learn where that next token is to be learned
        labels = torch.roll(ids, -1, dims=1)
        mask = torch.roll(mask, -1, dims=1)
        mask[:, -1] = False  # the last input has nothing to predict in its row
        mask &= torch.roll(positions, -1, dims=1) != 0  # nor across a document boundary
    logits = model(ids, positions)
    losses = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), reduction="none")
    weights = mask.reshape(-1).to(losses.dtype)
    return (losses * weights).sum() / weights.sum().clamp(min=1)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bridge", default=os.environ.get("REFINERY_BRIDGE", "127.0.0.1:8473"))
    p.add_argument("--run-id", required=True)
    p.add_argument("--streams", default="main=1", help="stream=weight,... as the bridge mixes them")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=100, help="train until this step (a rank's steps: the global batches are steps x world size)")
    p.add_argument("--checkpoint-dir", required=True)
    p.add_argument("--checkpoint-every", type=int, default=10)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--d-model", type=int, default=64)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = p.parse_args()

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    device = torch.device(args.device)
    if world > 1:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        if device.type == "cuda":
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(device)
    torch.manual_seed(args.seed)

    streams = {k: float(v) for k, v in (s.split("=") for s in args.streams.split(","))}
    dataset = rb.TokenBatchDataset(args.bridge, run_id=args.run_id, streams=streams, seed=args.seed)
    path = os.path.join(args.checkpoint_dir, "checkpoint.pt")
    saved = torch.load(path, map_location="cpu") if os.path.exists(path) else None

    batches = iter(dataset) if saved is None else None
    if saved is None:
        first = next(batches)
        config = dict(vocab=VOCAB.get(first["tokenizer"], 1 << 17), seq_len=first["input_ids"].shape[1], d=args.d_model, layers=args.layers)
    else:
        config = saved["config"]
        dataset.load_state_dict(saved["data"])
        batches = iter(dataset)
        first = None
    model = GPT(config["vocab"], config["seq_len"], config["d"], config["layers"]).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
    if saved is not None:
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        print("rank %d resumed at step %d (world size %d, %d tokens seen)" % (rank, saved["data"]["step"], world, saved["data"]["tokens_seen"]), flush=True)
    trained = nn.parallel.DistributedDataParallel(model) if world > 1 else model
    params = sum(t.numel() for t in model.parameters())

    step = dataset.steps - (1 if first is not None else 0)
    waited = time.perf_counter()
    while step < args.steps:
        data = first if first is not None else next(batches)
        first = None
        wait_ms = (time.perf_counter() - waited) * 1000
        started = time.perf_counter()
        loss = loss_of(trained, data, device)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step = data["step"] + 1
        dataset.report(data["step"], loss=loss.item(), tokens=data["tokens"], data_wait_ms=wait_ms,
                       step_time_ms=(time.perf_counter() - started) * 1000, params=float(params))
        print("step %d rank %d item %d batch %s loss %.4f tokens %d" % (data["step"], rank, data["item"], data["batch_id"], loss.item(), dataset.client.tokens_seen), flush=True)
        if step % args.checkpoint_every == 0 or step == args.steps:
            state = dataset.state_dict()  # every rank, at the same step: it waits at a barrier
            if rank == 0:
                os.makedirs(args.checkpoint_dir, exist_ok=True)
                torch.save({"config": config, "model": model.state_dict(), "optimizer": optimizer.state_dict(), "data": state}, path + ".tmp")
                os.replace(path + ".tmp", path)
                print("checkpoint at step %d" % step, flush=True)
            if world > 1:
                dist.barrier()
        waited = time.perf_counter()
    if world > 1:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
