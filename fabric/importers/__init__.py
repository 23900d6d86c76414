"""Configurations of other simulators as fabric specs (fabric import)."""
