"""pagewire."""
