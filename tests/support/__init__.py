"""Test support: real Alexa envelopes, a frozen clock and local stand-ins for Amazon."""
