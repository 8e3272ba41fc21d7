"""Starts the hook's thin client as a script, fast: ``python -I -S …/hookstart.py AGENT …``
(what ``policyc hook AGENT --print-command`` prints). A script is compiled anew on every run
and a module is not, so this file stays a few lines and imports :mod:`hookclient`, by its
short name, from the folder it is in (added after the standard library, so that no name here
can stand in for one of the library's); the package ``policyc`` is never imported."""

import os
import sys

if __name__ == "__main__":
    sys.path.append(os.path.dirname(os.path.abspath(__file__)))
    from hookclient import main  # type: ignore[import-not-found]

    sys.exit(main())
