"""The ``policyc`` command line: a thin shell that parses flags and calls the library."""
