"""Traffic patterns, one module each, registered in `fabric.registry.traffic_patterns`."""
import importlib
import pkgutil

for _m in pkgutil.iter_modules(__path__):
    if _m.name.startswith("_"):
        continue      # helpers, imported by the modules that use them
    importlib.import_module(f"{__name__}.{_m.name}")
