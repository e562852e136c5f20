"""The lesson: the tutorials' story in nine chapters (data in `chapters`, one renderer in `page`)."""
