"""Egress: a meeting's programme (the speaker's picture and voice) out of the SFU, encoded once
by ffmpeg, pushed to RTMP destinations and recorded as MP4 (docs/egress.md)."""
