"""The lesson: the seeds' story in ten chapters (the tenth: after the LSTM) (data in `chapters`, one renderer in `page`)."""
