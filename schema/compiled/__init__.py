"""The compiled read path (ADR 010): a query operation as one SQL statement.

``CompiledReads`` is what the gateway calls. The services describe their fields on the
fields themselves (``metadata=sql(...)`` beside each resolver); ``specs_of`` finds the
descriptions, the roots, the read rule's guards and the keyed mutations by walking the
schema, and ``uncovered`` names any reachable field that says nothing.
"""

from __future__ import annotations

from schema.compiled.executor import CompiledReads
from schema.compiled.registry import Specs, keyed_mutations, specs_of, uncovered

__all__ = ["CompiledReads", "Specs", "keyed_mutations", "specs_of", "uncovered"]
