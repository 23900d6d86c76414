"""Traffic patterns, one module each, registered in `fabric.registry.traffic_patterns`."""
import importlib
import pkgutil

for _m in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_m.name}")
