"""Against a running bridge (BridgeServerIT starts one and sets the environment; skipped otherwise)."""

import os
import unittest

import refinery_bridge as rb

TCP = os.environ.get("REFINERY_BRIDGE_TCP")
SOCKET = os.environ.get("REFINERY_BRIDGE_SOCKET")
EXPECTED = os.environ.get("REFINERY_BRIDGE_EXPECTED")
HTTP = os.environ.get("REFINERY_BRIDGE_HTTP")


def expected():
    out = {}
    with open(EXPECTED) as f:
        for line in f:
            batch_id, hexed = line.split()
            out[batch_id] = bytes.fromhex(hexed)
    return out


@unittest.skipUnless(TCP and EXPECTED, "REFINERY_BRIDGE_TCP and REFINERY_BRIDGE_EXPECTED name a running bridge")
class LiveBridgeTest(unittest.TestCase):
    def test_batches_are_bit_identical(self):
        want = expected()
        streams = {"a": 2.0, "b": 1.0}
        got = {}
        for address in filter(None, [TCP, SOCKET and "unix:" + SOCKET]):
            with rb.BridgeClient.connect(address, run_id="python-" + address[:4], rank=0, world_size=1, streams=streams, seed=9) as c:
                mix = rb.Mixture(9, streams)
                counts = {"a": 0, "b": 0}
                for step in range(120):
                    batch = c.next()
                    stream = mix.draw(step)
                    self.assertEqual((batch.step, batch.stream, batch.index), (step, stream, counts[stream]))
                    counts[stream] += 1
                    self.assertEqual(bytes(batch.tokens), want[batch.batch_id], batch.batch_id)
                    got[batch.batch_id] = batch
        self.assertEqual(len(got), 120)

    def test_resume_from_a_cursor_continues_exactly(self):
        hello = dict(run_id="python-resume", rank=0, world_size=1, streams={"a": 1.0, "b": 1.0}, seed=4)
        with rb.BridgeClient.connect(TCP, **hello) as c:
            straight = [c.next().batch_id for _ in range(40)]
        with rb.BridgeClient.connect(TCP, **hello) as c:
            first = [c.next().batch_id for _ in range(25)]
            cursor = c.checkpoint(25)
        with rb.BridgeClient.connect(TCP, cursor=cursor, **hello) as c:
            self.assertTrue(c.welcome["resumed"])
            rest = [c.next().batch_id for _ in range(15)]
        self.assertEqual(first + rest, straight)

    def test_preference_batches_say_which_rows_are_each_pairs(self):
        with rb.BridgeClient.connect(TCP, run_id="python-prefs", rank=0, world_size=1, streams={"prefs": 1.0}) as c:
            for index in range(4):
                batch = c.next()
                self.assertEqual(batch.packing, "pairs")
                self.assertEqual(
                    batch.pairs(),
                    [
                        {
                            "pair_id": "label:%d/c>r" % index,
                            "group_id": "prompt-%d" % index,
                            "set_id": "label:%d" % index,
                            "chosen": 0,
                            "rejected": 1,
                            "margin": 1.5 if index % 2 == 0 else None,
                            "origin": "HUMAN",
                        }
                    ],
                )
                mask = batch.loss_mask()
                self.assertEqual(mask[1][3], False, "the rejected row's padding is not learned")
                if rb.TokenBatchDataset is not None:
                    import torch

                    t = rb._as_tensors(batch, torch)
                    self.assertEqual(t["chosen_index"].tolist(), [0])
                    self.assertEqual(t["rejected_index"].tolist(), [1])
                    self.assertEqual(t["group_ids"], ["prompt-%d" % index])

    def test_numpy_view_when_numpy_is_there(self):
        try:
            import numpy  # noqa: F401
        except ImportError:
            self.skipTest("numpy is not installed")
        with rb.BridgeClient.connect(TCP, run_id="python-np", rank=0, world_size=1, streams={"a": 1.0}) as c:
            batch = c.next()
            arr = batch.array()
            self.assertEqual(arr.shape, (batch.rows, batch.row_width))
            self.assertEqual(int(arr[0, 1]), batch.index)


try:
    import torch  # noqa: F401

    HAVE_TORCH = True
except ImportError:
    HAVE_TORCH = False


@unittest.skipUnless(TCP and HAVE_TORCH, "a running bridge (REFINERY_BRIDGE_TCP) and torch")
class LiveDatasetTest(unittest.TestCase):
    def test_the_dataset_yields_training_tensors_and_its_state_dict_resumes_exactly(self):
        hello = dict(run_id="python-dataset", streams={"a": 1.0, "b": 1.0}, seed=5)
        straight = [step["batch_id"] for _, step in zip(range(30), rb.TokenBatchDataset(TCP, **hello))]
        ds = rb.TokenBatchDataset(TCP, **hello)
        it = iter(ds)
        first = []
        for _ in range(12):
            step = next(it)
            first.append(step["batch_id"])
            rows, seq_len = step["input_ids"].shape
            self.assertEqual(step["loss_mask"].shape, (rows, seq_len))
            self.assertEqual(step["position_ids"].shape, (rows, seq_len))
            self.assertEqual(int(step["cu_seqlens"][-1]), rows * seq_len)
        state = ds.state_dict()
        self.assertEqual(state["step"], 12)
        resumed = rb.TokenBatchDataset(TCP, **hello)
        resumed.load_state_dict(state)
        rest = [step["batch_id"] for _, step in zip(range(18), resumed)]
        self.assertEqual(first + rest, straight)


if __name__ == "__main__":
    unittest.main()


@unittest.skipUnless(HTTP, "REFINERY_BRIDGE_HTTP names a running bridge's HTTP address")
class LiveRewardPairsTest(unittest.TestCase):
    def test_reward_pairs_are_the_latest_revision_of_each_set(self):
        pairs = list(rb.reward_pairs(HTTP, lineage=True))
        self.assertEqual(sorted(p["pair_id"] for p in pairs), ["label:l1/b>a", "rbrm:s1:r@1/a>b"])
        human = list(rb.reward_pairs(HTTP, origin="HUMAN"))
        self.assertEqual(human, [{"prompt": "prompt", "chosen": "text b", "rejected": "text a", "margin": 2.0}])
