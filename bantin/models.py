"""Moved to `bantin.core.models`; kept for bantin.channels (and the secret store and
alerts) until the channel kit lands."""

from bantin.core.models import Agency, AgencySetting, Alert, Channel, Publication, Secret

__all__ = ["Agency", "AgencySetting", "Alert", "Channel", "Publication", "Secret"]
