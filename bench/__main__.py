"""``make bench``: run every benchmark; each prints ratios against its own baseline."""

from bench import foundation

if __name__ == "__main__":
    foundation.run()
