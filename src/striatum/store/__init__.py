"""The only code that speaks SQL. Nothing above this package imports psycopg."""
