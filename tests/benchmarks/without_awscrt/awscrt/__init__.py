"""Stands in for awscrt so that botocore runs as it does on Lambda, where it is absent.

botocore imports awscrt when it can and then signs with it; the deployed function and
the original design's function both run without it.
"""

raise ImportError("awscrt is hidden by the benchmark")
