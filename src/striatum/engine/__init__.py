"""The run engine: applies the model's decisions through the store. No SQL, no psycopg."""
