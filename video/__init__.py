"""Video (天网 · 雪亮 · 慧眼): the camera registry of the three networks, media servers behind one
adapter interface, play tokens checked by the media server itself, walls, patrol tours, household
consent and the viewing audit. See video/CONTRACT.md."""
