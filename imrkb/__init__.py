"""imrkb: California workers' compensation IMR decisions as a searchable knowledge base."""

__version__ = "0.1.0"
