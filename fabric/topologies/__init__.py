"""Topology builders, one module each, registered by name in `fabric.registry.topologies`."""
import importlib
import pkgutil

for _m in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_m.name}")
