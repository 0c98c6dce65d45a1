"""Benchmarks. Each `bench_*.py` has `main()` printing its measurements and ratios against a
baseline measured in the same run. Run them all with `python -m bench`, one with
`python -m bench NAME`."""
