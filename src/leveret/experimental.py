"""Modal's ``modal.experimental`` names that Leveret has."""

from .outbound import HeaderReplacementPolicy as OutboundPolicy

__all__ = ["OutboundPolicy"]
