"""Programme queries and rules that need the database (the API, exchange and scheduler share them)."""
