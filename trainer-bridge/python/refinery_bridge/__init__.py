"""Client of the Refinery trainer-bridge: token batches for one training rank.

Standard library only. numpy and torch are used when present (``Batch.array()``,
``Batch.tensor()``, ``TokenBatchDataset``), never required.

    from refinery_bridge import BridgeClient

    with BridgeClient.connect("127.0.0.1:8473", run_id="gpt-small-7", rank=rank,
                              world_size=world, streams={"web": 0.7, "books": 0.3},
                              seed=1234, cursor=saved_cursor) as bridge:
        for batch in bridge:                      # blocks until the rank's next batch is there
            x = batch.tensor()                    # (rows, row_width) int64, no copy of the bytes
            ...
            if step % 1000 == 0:
                cursor = bridge.checkpoint(step + 1)   # save it with the model checkpoint
            bridge.report(step, loss=loss, tokens_seen=seen, data_wait_ms=batch.wait_ms)

The wire protocol and the mixture are documented in the project's README; both are small
enough to implement again in another language.
"""

import base64
import collections
import json
import socket
import struct
import time

__all__ = ["BridgeClient", "Batch", "BridgeError", "Mixture", "TokenBatchDataset", "reward_pairs"]

PROTOCOL = 1
HELLO, WELCOME, NEXT, BATCH, EMPTY, CHECKPOINT, CURSOR, METRICS, ERROR = 1, 2, 3, 4, 5, 6, 7, 8, 15
_PREFIX = struct.Struct(">BIQ")


class BridgeError(Exception):
    """The bridge refused a request or failed; the message is the bridge's own."""


class Batch:
    """One step's batch: the header's fields and the token bytes as the tokenizer wrote them."""

    __slots__ = ("header", "tokens")

    def __init__(self, header, tokens):
        self.header = header
        self.tokens = tokens  # bytearray, little-endian dtype, rows of row_width

    def __getattr__(self, name):
        try:
            return self.header[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def error(self):
        """Why this step has no tokens (its record did not decode), or None."""
        return self.header.get("error")

    @property
    def itemsize(self):
        return 2 if self.header.get("dtype") == "uint16" else 4

    def ids(self):
        """The token ids, row after row, as a Python list (slow; for tests and small batches)."""
        fmt = "<%d%s" % (len(self.tokens) // self.itemsize, "H" if self.itemsize == 2 else "I")
        return list(struct.unpack(fmt, self.tokens))

    def array(self):
        """A numpy array of shape (rows, row_width) over the received bytes (no copy)."""
        import numpy as np

        dtype = "<u2" if self.itemsize == 2 else "<u4"
        return np.frombuffer(self.tokens, dtype=dtype).reshape(self.header["rows"], self.header["row_width"])

    def tensor(self):
        """A torch int64 tensor of shape (rows, row_width), as embedding layers take it."""
        import torch

        dtype = torch.int16 if self.itemsize == 2 else torch.int32
        t = torch.frombuffer(self.tokens, dtype=dtype)
        if self.itemsize == 2:
            t = t.to(torch.int32) & 0xFFFF  # uint16 ids above 32767
        return t.to(torch.int64).reshape(self.header["rows"], self.header["row_width"])

    def spans(self):
        """The document spans: dicts of doc_id, source, licence, sequence, offset, length,
        doc_offset and doc_tokens, for document-aware attention masks and lineage."""
        keys = ("doc_id", "source", "licence", "sequence", "offset", "length", "doc_offset", "doc_tokens")
        return [dict(zip(keys, s)) for s in self.header.get("spans", [])]

    def masked(self):
        """The spans under a takedown, delivered as padding: dicts of sequence, offset, length
        and takedown (its key). Leave them out of the loss; see loss_mask()."""
        keys = ("sequence", "offset", "length", "takedown")
        return [dict(zip(keys, m)) for m in self.header.get("masked", [])]

    def loss_mask(self):
        """A list of rows of booleans (rows x row_width): False where a position is padding
        (the end of a row, as sequence_padding says) or a masked span, True elsewhere."""
        rows, width = self.header["rows"], self.header["row_width"]
        mask = [[True] * width for _ in range(rows)]
        padding = self.header.get("sequence_padding") or []
        if not padding and self.header.get("padding"):
            padding = [0] * (rows - 1) + [self.header["padding"]]
        for r, n in enumerate(padding):
            for i in range(width - n, width):
                mask[r][i] = False
        label = 1 if self.header.get("label_token") else 0
        for m in self.masked():
            r, off = m["sequence"], m["offset"]
            for i in range(off, off + m["length"]):
                mask[r][i] = False
            if label and off == 0 and r > 0:
                mask[r - 1][width - 1] = False
        return mask

    def __repr__(self):
        return "Batch(step=%s, %s, %s)" % (self.header.get("step"), self.header.get("batch_id"), len(self.tokens))


class BridgeClient:
    """A rank's connection to its node's bridge. Not thread-safe: one per rank."""

    def __init__(self, sock, hello, pipeline=2):
        self._sock = sock
        self._pipeline = max(1, pipeline)
        self._pending = 0  # NEXT requests sent and not yet answered
        self._ready = collections.deque()  # batches answered while reading something else
        self._send(HELLO, hello)
        kind, header, _ = self._read()
        if kind != WELCOME:
            raise BridgeError("expected WELCOME, got frame type %d" % kind)
        self.welcome = header
        self.step = header["step"]

    @classmethod
    def connect(cls, address, run_id, rank, world_size, streams, seed=0, cursor=None, prefetch=None, timeout=None, pipeline=2):
        """Connects to ``host:port`` or ``unix:/path`` (or a path) and says who this rank is.

        ``cursor`` is the bytes ``checkpoint()`` returned, to resume there (on any world size).
        ``prefetch``: batches the bridge fetches ahead for this rank (its ``bridge.prefetch`` by
        default). ``pipeline``: requests kept in flight by blocking ``next()``, so the next batch
        is already on its way while the model trains on this one (1: none).
        """
        if address.startswith("unix:") or address.startswith("/"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(address[5:] if address.startswith("unix:") else address)
        else:
            host, _, port = address.rpartition(":")
            sock = socket.create_connection((host or "127.0.0.1", int(port)))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(timeout)
        hello = {
            "protocol": PROTOCOL,
            "run_id": run_id,
            "rank": rank,
            "world_size": world_size,
            "streams": dict(streams),
            "seed": seed,
        }
        if cursor:
            hello["cursor"] = base64.b64encode(bytes(cursor)).decode("ascii")
        if prefetch:
            hello["prefetch"] = prefetch
        try:
            return cls(sock, hello, pipeline)
        except BaseException:
            sock.close()
            raise

    def next(self, wait=None):
        """The rank's next batch. ``wait``: seconds to wait at most (0: not at all), None: as
        long as it takes. Returns None when it has not come in time; the step is not used up.
        A batch already requested by an earlier blocking call is waited for in any case."""
        if self._ready:
            return self._took(self._ready.popleft())
        if wait is None:
            while self._pending < self._pipeline:
                self._send(NEXT, {"wait_ms": -1})
                self._pending += 1
        elif not self._pending:
            self._send(NEXT, {"wait_ms": int(wait * 1000)})
            self._pending += 1
        kind, header, body = self._read()
        self._pending -= 1
        if kind == EMPTY:
            return None
        if kind != BATCH:
            raise BridgeError("expected BATCH, got frame type %d" % kind)
        return self._took(Batch(header, body))

    def _took(self, batch):
        self.step = batch.header["step"] + 1
        return batch

    def __iter__(self):
        while True:
            yield self.next()

    def checkpoint(self, step):
        """The cursor of a model checkpoint taken when ``step`` steps are done (every rank has
        read the batches of steps 0 .. step-1). Save the bytes with the model."""
        self._send(CHECKPOINT, {"step": step})
        while True:
            kind, header, body = self._read()
            if kind == BATCH and self._pending:  # answers to requests sent before this one
                self._pending -= 1
                self._ready.append(Batch(header, body))
                continue
            if kind != CURSOR:
                raise BridgeError("expected CURSOR, got frame type %d" % kind)
            return bytes(body)

    def report(self, step, loss=None, tokens_seen=0, learning_rate=None, step_time_ms=None, data_wait_ms=None, **values):
        """Sends a step's figures to trainer.metrics.v1; extra keyword figures go to ``values``."""
        header = {"step": step, "tokens_seen": tokens_seen, "values": values}
        for k, v in (("loss", loss), ("learning_rate", learning_rate), ("step_time_ms", step_time_ms), ("data_wait_ms", data_wait_ms)):
            if v is not None:
                header[k] = float(v)
        self._send(METRICS, header)

    def close(self):
        self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _send(self, kind, header):
        h = json.dumps(header, separators=(",", ":")).encode("utf-8")
        self._sock.sendall(_PREFIX.pack(kind, len(h), 0) + h)

    def _read(self):
        prefix = self._exactly(_PREFIX.size)
        kind, hlen, blen = _PREFIX.unpack(prefix)
        header = json.loads(bytes(self._exactly(hlen))) if hlen else {}
        body = self._exactly(blen)
        if kind == ERROR:
            raise BridgeError(header.get("error", "the bridge failed"))
        return kind, header, body

    def _exactly(self, n):
        buf = bytearray(n)
        view = memoryview(buf)
        got = 0
        while got < n:
            r = self._sock.recv_into(view[got:], n - got)
            if r == 0:
                raise BridgeError("the bridge closed the connection")
            got += r
        return buf


_GOLDEN = 0x9E3779B97F4A7C15
_MASK = (1 << 64) - 1


def _mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


class Mixture:
    """The bridge's choice of a stream for each global item, to predict or audit a run's order."""

    def __init__(self, seed, weights):
        self.seed = seed
        self.streams = sorted(weights)
        total, acc = 0.0, []
        for s in self.streams:
            total += float(weights[s])
            acc.append(total)
        self._cumulative = [a / total for a in acc]

    def draw(self, item):
        u = (_mix((self.seed + (item + 1) * _GOLDEN) & _MASK) >> 11) * 2.0 ** -53
        for i, c in enumerate(self._cumulative[:-1]):
            if u < c:
                return self.streams[i]
        return self.streams[-1]


def reward_pairs(http_address, origin=None, lineage=False, timeout=60, token=None):
    """The current reward-model pairs, as dicts with TRL's keys (prompt, chosen, rejected, margin).

    ``http_address`` is the bridge's HTTP address (``http://127.0.0.1:8474``); ``origin`` is
    ``"HUMAN"``, ``"RBRM"`` or None for both; ``lineage`` adds pair_id, group_id, sample_id,
    origin, models, labeler and rubric. A prompt's pairs come together (grouped by group_id).
    ``token`` is a bridge token of scope ``pairs`` (``refinery up`` keeps one in
    ``.refinery/bridge.token``); without it the environment's ``REFINERY_BRIDGE_TOKEN`` is used.

        from datasets import Dataset
        ds = Dataset.from_list(list(reward_pairs("http://127.0.0.1:8474")))
    """
    import os
    import urllib.parse
    import urllib.request

    token = token or os.environ.get("REFINERY_BRIDGE_TOKEN")

    query = {}
    if origin:
        query["origin"] = origin
    if lineage:
        query["lineage"] = "true"
    url = http_address.rstrip("/") + "/v1/rm-pairs" + ("?" + urllib.parse.urlencode(query) if query else "")
    request = urllib.request.Request(url, headers={"Authorization": "Bearer " + token} if token else {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        for line in response:
            if line.strip():
                yield json.loads(line)


try:  # the torch adapter, only where torch is installed
    import torch.utils.data as _data

    class TokenBatchDataset(_data.IterableDataset):
        """An IterableDataset of (rows, row_width) int64 tensors from the bridge, one per step.

        Use it with ``batch_size=None`` and ``num_workers=0``: the bridge already batches and
        prefetches, and the rank's sequence must come from one connection.
        """

        def __init__(self, address, **hello):
            self.address = address
            self.hello = hello
            self.client = None

        def __iter__(self):
            self.client = BridgeClient.connect(self.address, **self.hello)
            for batch in self.client:
                if batch.error:
                    continue
                yield batch.tensor()

except ImportError:  # pragma: no cover - torch is optional
    TokenBatchDataset = None
