"""Helpers shared by the tests: stand-ins for outside services, fakes, builders, environment."""
