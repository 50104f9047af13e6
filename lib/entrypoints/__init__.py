"""The ways in: the command line (``python -m lib``), the worker and the public endpoint.

They sit apart from the library they call: nothing under ``lib`` imports them.
"""
