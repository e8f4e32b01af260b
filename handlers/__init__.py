"""What each incoming LINE event does. The worker calls `handlers.dispatch.handle` inside one transaction."""
