"""The REST API under /api/v1/ (DESIGN §5): viewsets scoped by casework.access."""
