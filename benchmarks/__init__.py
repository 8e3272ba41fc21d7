"""Benchmarks of policyc beside the alternatives (pyDatalog, cedarpy); run with ``make bench``.

Never part of the test suite: nothing here asserts on time, only on the agreement of results.
See ``benchmarks/README.md`` for what each benchmark measures and the numbers last measured.
"""
