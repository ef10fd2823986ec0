"""The built-in HLS relay (ingest, playback, segment store, health, replays) and room stream configuration."""
