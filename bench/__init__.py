"""The benchmark (``make bench``, ``python -m bench``): a tool beside the console, not part of ``lib``.

``bench.figures`` measures page loads, bulk link creation and bookings per second;
``bench.counting`` counts the store calls a page load makes; ``bench.__main__`` is the command line.
"""
