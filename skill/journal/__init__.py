"""Journal domain: glimmers, the senses they touch, and the safety screen."""
