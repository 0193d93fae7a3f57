"""The inbox: messages to users about any object (an event now, a dispute or a camera next).

Layering: inbox sits below every case type and above accounts (its messages belong to users).
It imports nothing from events, disputes or video: a case type registers its kind of subject with
`inbox.subjects.register` (how to link to one), and a message points at its subject by
(`subject_type`, `subject_id`): the model's label and primary key, plain columns that a sweep's SQL
writes in bulk with no lookup, and that the inbox page turns into links with no query."""
