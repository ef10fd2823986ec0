"""Join tokens: signing keys, the issuing decision, revocation, media-server tokens."""
