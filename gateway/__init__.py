"""File gateway: short-lived pre-signed S3 URLs behind one FastAPI app."""
