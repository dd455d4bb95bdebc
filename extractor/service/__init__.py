"""The upload service and review page: FastAPI API (/api/v1), Jinja2 pages, durable jobs in the database."""
