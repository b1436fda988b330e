"""The client against a scripted bridge on a socket pair: frames, errors, non-blocking reads."""

import json
import socket
import struct
import threading
import unittest

import refinery_bridge as rb


def frame(kind, header, body=b""):
    h = json.dumps(header).encode()
    return struct.pack(">BIQ", kind, len(h), len(body)) + h + body


def read_frame(sock):
    def exactly(n):
        buf = b""
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    kind, hlen, blen = struct.unpack(">BIQ", exactly(13))
    return kind, json.loads(exactly(hlen)), exactly(blen)


class ProtocolTest(unittest.TestCase):
    def serve(self, script):
        a, b = socket.socketpair()
        seen = []

        def run():
            try:
                for answer in script:
                    seen.append(read_frame(b))
                    if answer is not None:
                        b.sendall(answer)
            except EOFError:
                pass

        t = threading.Thread(target=run, daemon=True)
        t.start()
        return a, seen, t

    def test_hello_batch_empty_checkpoint_and_metrics(self):
        tokens = struct.pack("<4I", 1, 2, 3, 100257)
        a, seen, t = self.serve(
            [
                frame(rb.WELCOME, {"step": 0, "resumed": False}),
                frame(rb.BATCH, {"step": 0, "stream": "web", "index": 0, "dtype": "uint32", "rows": 2, "row_width": 2,
                                 "spans": [["d1", "cc", "CC0-1.0", 0, 0, 3, 0, 3]]}, tokens),
                frame(rb.EMPTY, {"step": 1, "stream": "web", "index": 1}),
                frame(rb.CURSOR, {"step": 1}, b'{"v":1}'),
                None,
            ]
        )
        client = rb.BridgeClient(a, {"run_id": "r", "rank": 0, "world_size": 1, "streams": {"web": 1}}, pipeline=1)
        batch = client.next()
        self.assertEqual(batch.ids(), [1, 2, 3, 100257])
        self.assertEqual(batch.spans()[0]["doc_id"], "d1")
        self.assertEqual(batch.stream, "web")
        self.assertIsNone(client.next(wait=0))
        self.assertEqual(client.checkpoint(1), b'{"v":1}')
        client.report(1, loss=2.0, tokens_seen=4, grad_norm=0.5)
        client.close()
        t.join(5)
        self.assertEqual(seen[0][0], rb.HELLO)
        self.assertEqual(seen[2][1], {"wait_ms": 0})
        self.assertEqual(seen[4][1]["values"], {"grad_norm": 0.5})
        self.assertEqual(seen[4][1]["loss"], 2.0)

    def test_blocking_reads_keep_a_request_in_flight_and_a_checkpoint_keeps_their_answers(self):
        def batch(step):
            return frame(rb.BATCH, {"step": step, "stream": "web", "index": step, "dtype": "uint16", "rows": 1, "row_width": 2},
                         struct.pack("<2H", step, 65535))

        a, seen, t = self.serve(
            [frame(rb.WELCOME, {"step": 0}), None, batch(0) + batch(1), batch(2), frame(rb.CURSOR, {"step": 2}, b"c")]
        )
        client = rb.BridgeClient(a, {"run_id": "r", "rank": 0, "world_size": 1, "streams": {"web": 1}}, pipeline=2)
        self.assertEqual(client.next().ids(), [0, 65535])  # two NEXT sent before the first answer
        self.assertEqual(client.next().ids(), [1, 65535])  # and one more, to keep two in flight
        self.assertEqual(client.checkpoint(2), b"c")  # batch 2 arrives first and is kept
        self.assertEqual(client.next().step, 2)
        client.close()
        t.join(5)
        self.assertEqual([k for k, _, _ in seen], [rb.HELLO, rb.NEXT, rb.NEXT, rb.NEXT, rb.CHECKPOINT])

    def test_an_error_frame_is_raised_with_the_bridges_message(self):
        a, _, _ = self.serve([frame(rb.ERROR, {"error": "rank must be in [0, world_size)"})])
        with self.assertRaisesRegex(rb.BridgeError, "rank must be"):
            rb.BridgeClient(a, {"run_id": "r", "rank": 5, "world_size": 1, "streams": {"web": 1}})

    def test_a_connection_closed_mid_frame_is_an_error_not_a_hang(self):
        a, b = socket.socketpair()
        b.sendall(struct.pack(">BIQ", rb.WELCOME, 100, 0) + b'{"ste')
        b.shutdown(socket.SHUT_WR)
        with self.assertRaisesRegex(rb.BridgeError, "closed"):
            rb.BridgeClient(a, {"run_id": "r", "rank": 0, "world_size": 1, "streams": {"web": 1}})


if __name__ == "__main__":
    unittest.main()


class BatchMaskTest(unittest.TestCase):
    def test_the_loss_mask_leaves_out_padding_and_spans_under_takedown(self):
        header = {"rows": 2, "row_width": 4, "sequence_padding": [0, 1], "label_token": False,
                  "masked": [[0, 2, 2, "DOC_ID:d1"]]}
        batch = rb.Batch(header, bytearray(32))
        self.assertEqual(batch.masked(), [{"sequence": 0, "offset": 2, "length": 2, "takedown": "DOC_ID:d1"}])
        self.assertEqual(batch.loss_mask(), [[True, True, False, False], [True, True, True, False]])



class DocumentHelpersTest(unittest.TestCase):
    """Two rows of four inputs: d1 (2 tokens), then d2 across the row boundary, then d3."""

    batch = rb.Batch(
        {
            "rows": 2,
            "seq_len": 4,
            "row_width": 4,
            "spans": [
                ["d1", "s", "l", 0, 0, 2, 0, 2],
                ["d2", "s", "l", 0, 2, 2, 0, 3],
                ["d2", "s", "l", 1, 0, 1, 2, 3],
                ["d3", "s", "l", 1, 1, 3, 0, 3],
            ],
        },
        bytearray(32),
    )

    def test_segments_position_ids_and_cu_seqlens_restart_at_every_document(self):
        self.assertEqual(rb.segments(self.batch), [[(0, 2), (2, 4)], [(0, 1), (1, 4)]])
        self.assertEqual(rb.position_ids(self.batch), [[0, 1, 0, 1], [0, 0, 1, 2]])
        self.assertEqual(rb.cu_seqlens(self.batch), ([0, 2, 4, 5, 8], 3))

    def test_the_attention_mask_is_causal_and_stays_inside_each_document(self):
        mask = rb.document_attention_mask(self.batch)
        self.assertEqual(mask[0][3], [False, False, True, True])
        self.assertEqual(mask[0][1], [True, True, False, False])
        self.assertEqual(mask[1][3], [False, True, True, True])


class EnvironmentTest(unittest.TestCase):
    def test_rank_and_world_size_come_from_torchrun_s_environment(self):
        import os

        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        seen = []

        def run():
            conn, _ = server.accept()
            seen.append(read_frame(conn))
            conn.sendall(frame(rb.WELCOME, {"step": 0}))
            conn.close()

        t = threading.Thread(target=run, daemon=True)
        t.start()
        os.environ["RANK"], os.environ["WORLD_SIZE"] = "3", "4"
        try:
            client = rb.BridgeClient.connect("127.0.0.1:%d" % server.getsockname()[1], "r", streams={"web": 1.0})
            client.close()
        finally:
            del os.environ["RANK"], os.environ["WORLD_SIZE"]
        t.join(5)
        self.assertEqual((seen[0][1]["rank"], seen[0][1]["world_size"]), (3, 4))


class ConversationMaskTest(unittest.TestCase):
    def test_only_the_assistant_ranges_of_a_conversation_are_learned_from(self):
        # one row of six: a conversation's tokens 10..15, of which 12..14 are the assistant's
        header = {"rows": 1, "seq_len": 6, "row_width": 6, "sequence_padding": [0],
                  "spans": [["c1", "s", "l", 0, 0, 6, 10, 20, [12, 14]]]}
        batch = rb.Batch(header, bytearray(24))
        self.assertEqual(batch.loss_mask(), [[False, False, True, True, False, False]])
        self.assertEqual(batch.spans()[0]["loss_ranges"], [12, 14])



def _random_batch(rnd):
    """A batch as the tokenizer could pack it: rows of documents (some cut across rows, some
    conversations with loss ranges), end-of-text between them, padding at row ends, spans under
    a takedown; with or without a label token."""
    rows, seq_len = rnd.randint(1, 4), rnd.randint(4, 24)
    label = rnd.random() < 0.5
    width = seq_len + (1 if label else 0)
    spans, masked, padding = [], [], []
    for r in range(rows):
        at = 0
        pad = rnd.choice([0, 0, rnd.randint(0, width - 1)])
        while at < width - pad - 1:
            length = rnd.randint(1, width - pad - at)
            doc_offset = rnd.choice([0, rnd.randint(0, 50)])
            span = ["d%d" % len(spans), "s", "l", r, at, length, doc_offset, doc_offset + length + rnd.randint(0, 9)]
            if rnd.random() < 0.3:
                a = doc_offset + rnd.randint(0, length)
                b = a + rnd.randint(0, length)
                span.append([a, b, b + 1, b + rnd.randint(1, 4)])
            spans.append(span)
            if rnd.random() < 0.2:
                masked.append([r, at, length, "SOURCE:s"])
            at += length + rnd.randint(0, 1)  # an end-of-text between documents, or none
        padding.append(pad)
    header = {"rows": rows, "seq_len": seq_len, "row_width": width, "label_token": label,
              "sequence_padding": padding, "spans": spans, "masked": masked, "step": 0}
    return rb.Batch(header, bytearray(rows * width * 4))


def _reference(batch):
    """The loss mask, position ids, cu_seqlens and attention mask, computed position by position
    from the spans, the slow obvious way."""
    h = batch.header
    rows, seq_len, width = h["rows"], h["seq_len"], h["row_width"]

    def covering(r, i, spans):
        return [s for s in spans if s[3] == r and s[4] <= i < s[4] + s[5]]

    def masked_at(r, i):
        return bool(covering(r, i, [[0, 0, 0] + m[:3] for m in h["masked"]]))

    loss = []
    for r in range(rows):
        row = []
        for i in range(width):
            keep = i < width - h["sequence_padding"][r] and not masked_at(r, i)
            for s in covering(r, i, h["spans"]):
                if len(s) > 8 and s[8] is not None:
                    token = s[6] + (i - s[4])
                    keep = keep and any(s[8][k] <= token < s[8][k + 1] for k in range(0, len(s[8]) - 1, 2))
            if h["label_token"] and i == width - 1 and r + 1 < rows and masked_at(r + 1, 0):
                keep = False  # the same token as the next row's first, under a takedown there
            row.append(keep)
        loss.append(row)
    starts = [{0} | {s[4] for s in h["spans"] if s[3] == r and 0 < s[4] < seq_len} for r in range(rows)]
    positions = [[i - max(x for x in starts[r] if x <= i) for i in range(seq_len)] for r in range(rows)]
    cu, longest = [0], 0
    for r in range(rows):
        cuts = sorted(starts[r]) + [seq_len]
        for a, b in zip(cuts, cuts[1:]):
            cu.append(r * seq_len + b)
            longest = max(longest, b - a)
    attention = [[[j <= i and positions[r][j] <= positions[r][i] and i - j == positions[r][i] - positions[r][j] for j in range(seq_len)] for i in range(seq_len)] for r in range(rows)]
    return loss, positions, (cu, longest), attention


class CollateAgainstAReferenceTest(unittest.TestCase):
    def test_masks_position_ids_and_cu_seqlens_equal_a_naive_reference_on_random_batches(self):
        import random

        rnd = random.Random(18)
        for n in range(300):
            batch = _random_batch(rnd)
            loss, positions, cu, attention = _reference(batch)
            self.assertEqual(batch.loss_mask(), loss, (n, batch.header))
            self.assertEqual(rb.position_ids(batch), positions, (n, batch.header))
            self.assertEqual(rb.cu_seqlens(batch), cu, (n, batch.header))
            self.assertEqual(rb.document_attention_mask(batch), attention, (n, batch.header))
            if rb.TokenBatchDataset is not None:
                import torch

                t = rb._as_tensors(batch, torch)
                seq_len = batch.header["seq_len"]
                if batch.header["label_token"]:
                    want = [row[1:] for row in loss]
                else:
                    want = [row[:seq_len] for row in loss]
                self.assertEqual(t["loss_mask"].tolist(), want)
                self.assertEqual(t["position_ids"].tolist(), positions)
                self.assertEqual(t["cu_seqlens"].tolist(), cu[0])


class ImageFramesTest(unittest.TestCase):
    serve = ProtocolTest.serve

    PNG_1x1 = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
        "0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082")

    def test_images_come_once_and_the_client_keeps_what_the_bridge_keeps(self):
        def batch(step, entries):
            return frame(rb.BATCH, {"step": step, "stream": "v", "index": step, "dtype": "uint32", "rows": 1,
                                    "row_width": 6, "seq_len": 6, "sequence_padding": [0],
                                    "images": entries}, struct.pack("<6I", 1, 900, 902, 901, 2, 3))

        def entry(sha, state):
            return ["d", sha, 0, 0, 1, 3, "image/png", 1, 1, state]

        image_a = frame(rb.IMAGE, {"sha256": "a", "media_type": "image/png", "width": 1, "height": 1}, self.PNG_1x1)
        image_b = frame(rb.IMAGE, {"sha256": "b", "media_type": "image/png", "width": 1, "height": 1}, b"bee")
        a, seen, t = self.serve([
            frame(rb.WELCOME, {"step": 0, "image_cache": 1}),
            image_a + batch(0, [entry("a", "sent")]),
            batch(1, [entry("a", "kept"), entry("x", "masked")]),
            # "b" takes the one place: "a" is dropped, and sent again when used again
            image_b + batch(2, [entry("b", "sent")]),
            image_a + batch(3, [entry("a", "sent"), entry("a", "kept")]),
        ])
        client = rb.BridgeClient(a, {"run_id": "r", "rank": 0, "world_size": 1, "streams": {"v": 1}}, pipeline=1)
        first = client.next()
        self.assertEqual(first.images()[0]["data"], self.PNG_1x1)
        self.assertEqual(first.images()[0]["offset"], 1)
        self.assertEqual(first.loss_mask(), [[True, False, False, False, True, True]])
        second = client.next()
        self.assertEqual([i["data"] for i in second.images()], [self.PNG_1x1, None])
        self.assertEqual(client.next().images()[0]["data"], b"bee")
        self.assertEqual(list(client._kept), ["b"])
        fourth = client.next()
        self.assertEqual([i["data"] for i in fourth.images()], [self.PNG_1x1, self.PNG_1x1])
        try:
            import numpy  # noqa: F401
            import PIL  # noqa: F401
        except ImportError:
            pass
        else:
            self.assertEqual(fourth.image_arrays()[0].shape, (1, 1, 3))
        client.close()
        t.join(5)
