"""Time-driven work: the working-day calendar, deadlines and reminders, and the APScheduler wiring."""
