"""mdreg's benchmark suite: each metric as a ratio to a baseline measured in the same run.

Run ``python -m benchmarks`` (or ``make bench``); ``--quick`` for a run under three minutes on a
smaller registry; ``--only NAME`` for some metrics. See docs/performance.md.
"""
