"""The plant's evidence files (photos of key steps), kept by content outside the log."""
