"""The LINE-facing service: settings, the Flask app, the webhook, the gateway, the worker, the sandbox."""
