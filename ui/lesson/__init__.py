"""The lesson: the seeds' story in nine chapters (data in `chapters`, one renderer in `page`)."""
