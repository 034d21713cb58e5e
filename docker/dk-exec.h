/* Hijacked streams: exec and attach. */
