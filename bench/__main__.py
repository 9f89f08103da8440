"""``make bench``: every benchmark prints ratios against a baseline measured in the same run.

BENCH_SCALE=city (default, builds in seconds) or province (≈ 51,000 units and 1,000,000
persons, as the lookup goals are stated; the first build takes a few minutes and is cached
in bench/results/). BENCH_DURATION sets each wrk run (default 10s).
"""

from bench import foundation, load, lookup, search

if __name__ == "__main__":
    foundation.run()
    search.run()
    lookup.run()
    load.run()
