import unittest

from refinery_bridge import Mixture, _mix


class MixtureTest(unittest.TestCase):
    def test_draws_are_the_bridges(self):
        # the same values are asserted in RankPlanTest.java
        m = Mixture(42, {"web": 0.6, "books": 0.3, "code": 0.1})
        self.assertEqual("".join(m.draw(i)[0] for i in range(16)), "wbbcbwbwcwbwwwwb")
        self.assertEqual(_mix(1), 0x5692161D100B05E5)

    def test_weights_are_followed(self):
        m = Mixture(7, {"a": 3, "b": 1})
        share = sum(m.draw(i) == "a" for i in range(20000)) / 20000
        self.assertAlmostEqual(share, 0.75, delta=0.02)


if __name__ == "__main__":
    unittest.main()
