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

from __future__ import annotations

import base64
import collections
import json
import socket
import struct
import time
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

__all__ = ["BridgeClient", "Batch", "BridgeError", "Mixture", "TokenBatchDataset", "reward_pairs"]

PROTOCOL = 1
HELLO, WELCOME, NEXT, BATCH, EMPTY, CHECKPOINT, CURSOR, METRICS, IMAGE, ERROR = 1, 2, 3, 4, 5, 6, 7, 8, 9, 15
_PREFIX = struct.Struct(">BIQ")


class BridgeError(Exception):
    """The bridge refused a request or failed; the message is the bridge's own."""


class Batch:
    """One step's batch: the header's fields and the token bytes as the tokenizer wrote them."""

    __slots__ = ("header", "tokens", "image_data")

    def __init__(self, header: Dict[str, Any], tokens: bytearray, image_data: Optional[List[Optional[bytes]]] = None) -> None:
        self.header = header
        self.tokens = tokens  # bytearray, little-endian dtype, rows of row_width
        self.image_data = image_data or []  # each image's bytes, in header order (None: not sent)

    def __getattr__(self, name):
        try:
            return self.header[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def error(self) -> Optional[str]:
        """Why this step has no tokens (its record did not decode), or None."""
        return self.header.get("error")

    @property
    def itemsize(self) -> int:
        return 2 if self.header.get("dtype") == "uint16" else 4

    def ids(self) -> List[int]:
        """The token ids, row after row, as a Python list (slow; for tests and small batches)."""
        fmt = "<%d%s" % (len(self.tokens) // self.itemsize, "H" if self.itemsize == 2 else "I")
        return list(struct.unpack(fmt, self.tokens))

    def array(self) -> "numpy.ndarray":
        """A numpy array of shape (rows, row_width) over the received bytes (no copy)."""
        import numpy as np

        dtype = "<u2" if self.itemsize == 2 else "<u4"
        return np.frombuffer(self.tokens, dtype=dtype).reshape(self.header["rows"], self.header["row_width"])

    def tensor(self) -> "torch.Tensor":
        """A torch int64 tensor of shape (rows, row_width), as embedding layers take it."""
        import torch

        dtype = torch.int16 if self.itemsize == 2 else torch.int32
        t = torch.frombuffer(self.tokens, dtype=dtype)
        if self.itemsize == 2:
            t = t.to(torch.int32) & 0xFFFF  # uint16 ids above 32767
        return t.to(torch.int64).reshape(self.header["rows"], self.header["row_width"])

    def spans(self) -> List[Dict[str, Any]]:
        """The document spans: dicts of doc_id, source, licence, sequence, offset, length,
        doc_offset and doc_tokens, for document-aware attention masks and lineage."""
        keys = ("doc_id", "source", "licence", "sequence", "offset", "length", "doc_offset", "doc_tokens", "loss_ranges")
        return [dict(zip(keys, s)) for s in self.header.get("spans", [])]

    def tokens_in(self) -> int:
        """Input positions a model trains on in this batch: rows x seq_len less the padding
        (what ``report(tokens=...)`` counts)."""
        if self.header.get("error"):
            return 0
        rows, seq_len = self.header["rows"], self.header["seq_len"]
        padding = self.header.get("sequence_padding") or []
        if not padding and self.header.get("padding"):
            padding = [0] * (rows - 1) + [self.header["padding"]]
        width = self.header["row_width"]
        return sum(seq_len - max(0, n - (width - seq_len)) for n in padding) + seq_len * (rows - len(padding))

    def pairs(self) -> List[Dict[str, Any]]:
        """In a preference batch (reward model, DPO), the pairs: dicts of pair_id, group_id,
        set_id, chosen and rejected (the rows of the two sequences), margin (None when the label
        gave none) and origin (HUMAN or RBRM). A group's pairs (one prompt's) are all in this
        batch. Each row's span has the response's tokens in ``loss_ranges``. Empty elsewhere."""
        keys = ("pair_id", "group_id", "set_id", "chosen", "rejected", "margin", "origin")
        return [dict(zip(keys, p)) for p in self.header.get("pairs", [])]

    def images(self) -> List[Dict[str, Any]]:
        """The images in the rows: dicts of doc_id, sha256, index (in its document), sequence,
        offset (of its begin token), length (begin and end included: the placeholders are
        offset + 1 .. offset + length - 2), media_type, width, height, state and data (its bytes
        as stored, or None when the rank asked for text only, or its document is under a
        takedown, or the store lacks it: ``state`` says which). Empty for text."""
        keys = ("doc_id", "sha256", "index", "sequence", "offset", "length", "media_type", "width", "height", "state")
        out = []
        for i, entry in enumerate(self.header.get("images", [])):
            image = dict(zip(keys, entry))
            image["data"] = self.image_data[i] if i < len(self.image_data) else None
            out.append(image)
        return out

    def image_arrays(self) -> List[Optional["numpy.ndarray"]]:
        """Each image decoded into a (height, width, 3) uint8 RGB numpy array, in images()
        order (None where it has no bytes). Needs Pillow (``pip install pillow``)."""
        try:
            from PIL import Image
        except ImportError:  # pragma: no cover - depends on the environment
            raise BridgeError("decoding images needs Pillow: pip install pillow") from None
        import io

        import numpy as np

        out = []
        for image in self.images():
            if image["data"] is None:
                out.append(None)
                continue
            with Image.open(io.BytesIO(image["data"])) as im:
                out.append(np.asarray(im.convert("RGB")))
        return out

    def masked(self) -> List[Dict[str, Any]]:
        """The spans under a takedown, delivered as padding: dicts of sequence, offset, length,
        takedown (its key) and doc_id. Leave them out of the loss; see loss_mask()."""
        keys = ("sequence", "offset", "length", "takedown", "doc_id")
        return [dict(zip(keys, m)) for m in self.header.get("masked", [])]

    def loss_mask(self) -> List[List[bool]]:
        """A list of rows of booleans (rows x row_width): False where a position is padding
        (the end of a row, as sequence_padding says), a masked span, an image's block (begin,
        placeholders, end: no model predicts them), or a conversation's token outside its
        assistant turns (its span's ``loss_ranges``), True elsewhere."""
        rows, width = self.header["rows"], self.header["row_width"]
        mask = [[True] * width for _ in range(rows)]
        padding = self.header.get("sequence_padding") or []
        if not padding and self.header.get("padding"):
            padding = [0] * (rows - 1) + [self.header["padding"]]
        for r, n in enumerate(padding):
            for i in range(width - n, width):
                mask[r][i] = False
        label = 1 if self.header.get("label_token") else 0
        for s in self.header.get("spans", []):
            if len(s) > 8 and s[8] is not None:
                # a conversation: only its ranges (the assistant's turns) are learned from
                sequence, offset, length, doc_offset = s[3], s[4], s[5], s[6]
                keep = set()
                ranges = s[8]
                for k in range(0, len(ranges) - 1, 2):
                    keep.update(range(ranges[k], ranges[k + 1]))
                for i in range(length):
                    if doc_offset + i not in keep:
                        mask[sequence][offset + i] = False
        for image in self.header.get("images", []):
            r, off, n = image[3], image[4], image[5]
            for i in range(off, off + n):
                mask[r][i] = False
        for m in self.masked():
            r, off = m["sequence"], m["offset"]
            for i in range(off, off + m["length"]):
                mask[r][i] = False
            if label and off == 0 and r > 0:
                mask[r - 1][width - 1] = False
        return mask

    def __repr__(self) -> str:
        return "Batch(step=%s, %s, %s)" % (self.header.get("step"), self.header.get("batch_id"), len(self.tokens))


class BridgeClient:
    """A rank's connection to its node's bridge. Not thread-safe: one per rank."""

    def __init__(self, sock: socket.socket, hello: Dict[str, Any], pipeline: int = 2) -> None:
        self._sock = sock
        self._pipeline = max(1, pipeline)
        self._pending = 0  # NEXT requests sent and not yet answered
        self._ready = collections.deque()  # batches answered while reading something else
        # the images this connection keeps, in use order: the same steps as the bridge's, so the
        # same ones (an image comes once, and again only after image_cache others were used)
        self._kept: "collections.OrderedDict[str, bytes]" = collections.OrderedDict()
        self._incoming: Dict[str, bytes] = {}
        self._send(HELLO, hello)
        kind, header, _ = self._read()
        if kind != WELCOME:
            raise BridgeError("expected WELCOME, got frame type %d" % kind)
        self.welcome = header
        self._image_cache = int(header.get("image_cache", 1024))
        self.step = header["step"]
        self.tokens_seen = 0  # the run's tokens (all ranks) up to the last report; see report()

    @classmethod
    def connect(
        cls,
        address: str,
        run_id: str,
        rank: Optional[int] = None,
        world_size: Optional[int] = None,
        streams: Optional[Mapping[str, float]] = None,
        seed: int = 0,
        cursor: Optional[bytes] = None,
        prefetch: Optional[int] = None,
        timeout: Optional[float] = None,
        pipeline: int = 2,
        tokens_seen: int = 0,
        images: str = "bytes",
    ) -> "BridgeClient":
        """Connects to ``host:port`` or ``unix:/path`` (or a path) and says who this rank is.

        ``rank`` and ``world_size`` default to the environment's ``RANK`` and ``WORLD_SIZE``, as
        ``torchrun`` sets them (0 and 1 without them).

        ``cursor`` is the bytes ``checkpoint()`` returned, to resume there (on any world size);
        ``tokens_seen`` the run's token count saved with it (see ``report()``).
        ``images``: "bytes" to get each batch's images (``Batch.images()``, ``image_arrays()``),
        "none" for a text-only trainer (no image bytes travel; the positions are still listed).
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
        import os

        if rank is None:
            rank = int(os.environ.get("RANK", "0"))
        if world_size is None:
            world_size = int(os.environ.get("WORLD_SIZE", "1"))
        if not streams:
            raise ValueError("give the streams and their weights, e.g. streams={'web': 1.0}")
        hello = {
            "protocol": PROTOCOL,
            "run_id": run_id,
            "rank": rank,
            "world_size": world_size,
            "streams": dict(streams),
            "seed": seed,
            "images": images,
        }
        if cursor:
            hello["cursor"] = base64.b64encode(bytes(cursor)).decode("ascii")
        if prefetch:
            hello["prefetch"] = prefetch
        try:
            client = cls(sock, hello, pipeline)
            client.tokens_seen = int(tokens_seen or 0)
            return client
        except BaseException:
            sock.close()
            raise

    def next(self, wait: Optional[float] = None) -> Optional[Batch]:
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
        kind, header, body = self._read_answer()
        self._pending -= 1
        if kind == EMPTY:
            return None
        if kind != BATCH:
            raise BridgeError("expected BATCH, got frame type %d" % kind)
        return self._took(self._batch(header, body))

    def _took(self, batch: Batch) -> Batch:
        self.step = batch.header["step"] + 1
        return batch

    def __iter__(self) -> Iterator[Optional[Batch]]:
        while True:
            yield self.next()

    def checkpoint(self, step: int, barrier: bool = True) -> bytes:
        """The cursor of a model checkpoint taken when ``step`` steps are done (every rank has
        read the batches of steps 0 .. step-1). Save the bytes with the model.

        Where ``torch.distributed`` is initialized, every rank waits at a barrier first (unless
        ``barrier=False``), so no rank records a cursor ahead of a rank still training."""
        if barrier:
            _barrier()
        self._send(CHECKPOINT, {"step": step})
        while True:
            kind, header, body = self._read_answer()
            if kind == BATCH and self._pending:  # answers to requests sent before this one
                self._pending -= 1
                self._ready.append(self._batch(header, body))
                continue
            if kind != CURSOR:
                raise BridgeError("expected CURSOR, got frame type %d" % kind)
            return bytes(body)

    def report(
        self,
        step: int,
        loss: Optional[float] = None,
        tokens: Optional[int] = None,
        tokens_seen: Optional[int] = None,
        learning_rate: Optional[float] = None,
        step_time_ms: Optional[float] = None,
        data_wait_ms: Optional[float] = None,
        **values: float,
    ) -> None:
        """Sends a step's figures to trainer.metrics.v1; extra keyword figures go to ``values``.

        ``tokens``: the tokens this rank trained on in this step (``batch.tokens_in()``, or the
        dataset's ``tokens``). The client sums them over the ranks (an all-reduce where
        ``torch.distributed`` is initialized; every rank must then report every step) into
        ``tokens_seen``, the run's global count since its start, which it reports and which
        ``TokenBatchDataset.state_dict()`` keeps, so a resume on any world size continues the
        count. The console shows a run's latest global count: steps repeated after a restart are
        not counted twice. (``tokens_seen`` given instead is sent as is, a per-rank count that the
        console adds over ranks.)"""
        header = {"step": step, "values": values}
        if tokens is not None:
            self.tokens_seen += _all_ranks_sum(int(tokens))
            header["tokens_seen"] = self.tokens_seen
            values["tokens_global"] = 1.0
        else:
            header["tokens_seen"] = int(tokens_seen or 0)
        for k, v in (("loss", loss), ("learning_rate", learning_rate), ("step_time_ms", step_time_ms), ("data_wait_ms", data_wait_ms)):
            if v is not None:
                header[k] = float(v)
        self._send(METRICS, header)

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> "BridgeClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _send(self, kind: int, header: Dict[str, Any]) -> None:
        h = json.dumps(header, separators=(",", ":")).encode("utf-8")
        self._sock.sendall(_PREFIX.pack(kind, len(h), 0) + h)

    def _read_answer(self) -> Tuple[int, Dict[str, Any], bytearray]:
        """The next frame that answers a request: the IMAGE frames before a batch are kept for it."""
        while True:
            kind, header, body = self._read()
            if kind != IMAGE:
                return kind, header, body
            self._incoming[header["sha256"]] = bytes(body)

    def _batch(self, header: Dict[str, Any], body: bytearray) -> Batch:
        """A batch with its images' bytes, keeping them as the bridge does, in the same order."""
        data: List[Optional[bytes]] = []
        for entry in header.get("images", []):
            sha, state = entry[1], entry[9]
            if state == "sent":
                image = self._incoming[sha]  # kept for the batch: it may list the image again
                self._kept[sha] = image
                self._kept.move_to_end(sha)
                while len(self._kept) > self._image_cache:
                    self._kept.popitem(last=False)
                data.append(image)
            elif state == "kept":
                self._kept.move_to_end(sha)
                data.append(self._kept[sha])
            else:
                data.append(None)
        self._incoming.clear()
        return Batch(header, body, data)

    def _read(self) -> Tuple[int, Dict[str, Any], bytearray]:
        prefix = self._exactly(_PREFIX.size)
        kind, hlen, blen = _PREFIX.unpack(prefix)
        header = json.loads(bytes(self._exactly(hlen))) if hlen else {}
        body = self._exactly(blen)
        if kind == ERROR:
            raise BridgeError(header.get("error", "the bridge failed"))
        return kind, header, body

    def _exactly(self, n: int) -> bytearray:
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


def _mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


class Mixture:
    """The bridge's choice of a stream for each global item, to predict or audit a run's order."""

    def __init__(self, seed: int, weights: Mapping[str, float]) -> None:
        self.seed = seed
        self.streams = sorted(weights)
        total, acc = 0.0, []
        for s in self.streams:
            total += float(weights[s])
            acc.append(total)
        self._cumulative = [a / total for a in acc]

    def draw(self, item: int) -> str:
        u = (_mix((self.seed + (item + 1) * _GOLDEN) & _MASK) >> 11) * 2.0 ** -53
        for i, c in enumerate(self._cumulative[:-1]):
            if u < c:
                return self.streams[i]
        return self.streams[-1]


def _all_ranks_sum(n: int) -> int:
    """n summed over the ranks of the initialized process group (n alone without one)."""
    try:
        import torch
        import torch.distributed as dist
    except ImportError:
        return n
    if not (dist.is_available() and dist.is_initialized()):
        return n
    device = "cuda" if dist.get_backend() == "nccl" else "cpu"
    t = torch.tensor([n], dtype=torch.int64, device=device)
    dist.all_reduce(t)
    return int(t.item())


def _barrier() -> None:
    try:
        import torch.distributed as dist
    except ImportError:
        return
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def segments(batch: Batch) -> List[List[Tuple[int, int]]]:
    """The document segments of each input row, as lists of (start, end) positions over the
    row's ``seq_len`` inputs: a segment starts where a document's span starts (or at the row's
    start) and runs to the next one; end-of-text and padding stay with the segment before them.
    This is what document-aware attention, position ids and ``cu_seqlens`` are built from."""
    rows, seq_len = batch.header["rows"], batch.header["seq_len"]
    starts = [set([0]) for _ in range(rows)]
    for s in batch.header.get("spans", []):
        sequence, offset = s[3], s[4]
        if 0 <= sequence < rows and 0 < offset < seq_len:
            starts[sequence].add(offset)
    out = []
    for r in range(rows):
        cuts = sorted(starts[r]) + [seq_len]
        out.append([(cuts[i], cuts[i + 1]) for i in range(len(cuts) - 1)])
    return out


def position_ids(batch: Batch) -> List[List[int]]:
    """Position ids that restart at 0 at every document of a row (rows x seq_len lists), as
    Megatron's ``reset_position_ids`` gives them."""
    out = []
    for row in segments(batch):
        ids = []
        for start, end in row:
            ids.extend(range(end - start))
        out.append(ids)
    return out


def cu_seqlens(batch: Batch) -> Tuple[List[int], int]:
    """Cumulative sequence lengths over the flattened inputs (rows x seq_len), one entry per
    document segment plus the leading 0: what flash-attention's varlen kernels take to keep
    attention inside each document. Also returns the longest segment (``max_seqlen``)."""
    cu, longest, base = [0], 0, 0
    for row in segments(batch):
        for start, end in row:
            cu.append(base + end)
            longest = max(longest, end - start)
        base += batch.header["seq_len"]
    return cu, longest


def document_attention_mask(batch: Batch) -> List[List[List[bool]]]:
    """A causal mask that keeps attention inside each document: rows x seq_len x seq_len
    booleans, True where position i may attend to position j (j <= i, same segment). Large
    (seq_len squared per row): for long contexts use ``cu_seqlens`` with a varlen kernel."""
    out = []
    seq_len = batch.header["seq_len"]
    for row in segments(batch):
        segment_of = [0] * seq_len
        for k, (start, end) in enumerate(row):
            for i in range(start, end):
                segment_of[i] = k
        out.append([[j <= i and segment_of[j] == segment_of[i] for j in range(seq_len)] for i in range(seq_len)])
    return out


def reward_pairs(
    http_address: str,
    origin: Optional[str] = None,
    lineage: bool = False,
    timeout: float = 60,
    token: Optional[str] = None,
) -> Iterator[Dict[str, Any]]:
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
        """An IterableDataset of the rank's steps from the bridge, as dicts of tensors:
        ``input_ids`` (rows x seq_len), ``labels`` (the next token of each input, with a label
        token; else ``input_ids`` shifted by the trainer), ``loss_mask`` (False on padding and on
        spans under a takedown), ``position_ids`` (restarting at every document), ``cu_seqlens``
        and ``max_seqlen`` (for varlen attention), and ``step``, ``batch_id`` and ``spans``. A
        ``tokens`` is the batch's input positions less padding, for ``report(tokens=...)``. A
        preference batch adds ``chosen_index`` and ``rejected_index`` (the rows of each pair),
        ``margin`` (NaN where none) and ``group_ids``.

        Use it with ``batch_size=None`` and ``num_workers=0``: the bridge already batches and
        prefetches, and the rank's sequence must come from one connection. Rank and world size
        come from ``RANK``/``WORLD_SIZE`` unless given. ``state_dict()`` is the cursor of the steps
        yielded so far (every rank must call it at the same step: it waits at a barrier);
        ``load_state_dict()`` makes the next iteration resume there, on any world size.
        """

        def __init__(self, address: str, **hello: Any) -> None:
            self.address = address
            self.hello = hello
            self.client = None
            self.steps = 0
            self._cursor = hello.pop("cursor", None)
            self._tokens_seen = hello.pop("tokens_seen", 0)

        def __iter__(self) -> Iterator[Dict[str, Any]]:
            import torch

            hello = dict(self.hello)
            if self._cursor:
                hello["cursor"] = self._cursor
            hello["tokens_seen"] = self._tokens_seen
            self.client = BridgeClient.connect(self.address, **hello)
            self.steps = self.client.step
            try:
                for batch in self.client:
                    self.steps = batch.header["step"] + 1
                    if batch.error:
                        continue
                    yield _as_tensors(batch, torch)
            finally:  # the iteration was dropped: its connection goes with it
                self.client.close()

        def state_dict(self) -> Dict[str, Any]:
            """The cursor of the steps yielded so far and the run's ``tokens_seen``, to save with
            the model (every rank calls it at the same step; it waits at a barrier)."""
            if self.client is None:
                return {"cursor": self._cursor, "step": self.steps, "tokens_seen": self._tokens_seen}
            cursor = self.client.checkpoint(self.steps)
            return {"cursor": cursor, "step": self.steps, "tokens_seen": self.client.tokens_seen}

        def load_state_dict(self, state: Mapping[str, Any]) -> None:
            """Resume at a state_dict() on the next iteration (on any world size)."""
            self._cursor = state.get("cursor")
            self.steps = state.get("step", 0)
            self._tokens_seen = state.get("tokens_seen", 0)

        def report(self, step: int, **figures: Any) -> None:
            """``BridgeClient.report`` on the iteration's connection (pass ``tokens=batch["tokens"]``)."""
            self.client.report(step, **figures)

    def _as_tensors(batch: Batch, torch: Any) -> Dict[str, Any]:
        rows, seq_len, width = batch.header["rows"], batch.header["seq_len"], batch.header["row_width"]
        ids = batch.tensor()
        mask = torch.tensor(batch.loss_mask(), dtype=torch.bool)
        cu, longest = cu_seqlens(batch)
        out = {
            "input_ids": ids[:, :seq_len],
            "loss_mask": mask[:, :seq_len],
            "position_ids": torch.tensor(position_ids(batch), dtype=torch.int64),
            "cu_seqlens": torch.tensor(cu, dtype=torch.int32),
            "max_seqlen": longest,
            "step": batch.header["step"],
            "item": batch.header.get("item"),
            "stream": batch.header.get("stream"),
            "tokenizer": batch.header.get("tokenizer"),
            "batch_id": batch.header.get("batch_id"),
            "spans": batch.spans(),
            "tokens": batch.tokens_in(),
        }
        if width > seq_len:  # a label token: labels are the inputs shifted by one, and its mask
            out["labels"] = ids[:, 1:]
            out["loss_mask"] = mask[:, 1:]
        images = batch.images()
        if images:  # where each image's placeholders are, and its pixels when it was sent
            out["images"] = [
                None if a is None else torch.from_numpy(a.copy())
                for a in (batch.image_arrays() if any(i["data"] for i in images) else [None] * len(images))
            ]
            out["image_positions"] = torch.tensor(
                [[i["sequence"], i["offset"] + 1, i["length"] - 2] for i in images], dtype=torch.int64
            )
            out["image_sha256"] = [i["sha256"] for i in images]
        pairs = batch.pairs()
        if pairs:  # reward model / DPO: rows of each pair, a prompt's pairs together
            out["chosen_index"] = torch.tensor([p["chosen"] for p in pairs], dtype=torch.int64)
            out["rejected_index"] = torch.tensor([p["rejected"] for p in pairs], dtype=torch.int64)
            out["margin"] = torch.tensor([float("nan") if p["margin"] is None else p["margin"] for p in pairs])
            out["group_ids"] = [p["group_id"] for p in pairs]
        return out

except ImportError:  # pragma: no cover - torch is optional
    TokenBatchDataset = None
