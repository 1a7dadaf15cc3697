"""What leaves the run: the one writer, files on disk, mail and the run's state."""
