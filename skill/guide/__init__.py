"""The guide: the practice and lesson catalog and playback plans. Pure, typed Python."""
