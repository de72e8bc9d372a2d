"""The Alexa layer: request verification, envelope parsing and ask-sdk-core handlers."""
