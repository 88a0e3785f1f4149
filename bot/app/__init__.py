"""The self-hosted GitHub App service: webhook web app, durable job queue and workers."""
