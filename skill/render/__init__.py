"""Build-time audio pipeline: narration sources → speech → Alexa-ready MP3 + manifest.json.

Only this package imports gTTS and pydub; the running skill reads only the manifest.
"""
