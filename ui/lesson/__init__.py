"""The lesson: the tutorials' story in ten chapters (the tenth: after the LSTM) (data in `chapters`, one renderer in `page`)."""
