import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import wordstats  # noqa: E402


class WordsTest(unittest.TestCase):
    def test_words_are_lower_case(self):
        self.assertEqual(wordstats.words("The cat, the HAT."), ["the", "cat", "the", "hat"])

    def test_top_orders_by_count_then_word(self):
        self.assertEqual(wordstats.top("b a b c a b", 2), [("b", 3), ("a", 2)])


if __name__ == "__main__":
    unittest.main()
