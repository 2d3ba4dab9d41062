"""Visit planning and reminders: the month plan, team progress, working days and what to send
when. Pure domain: every entry point takes today's date or the current time from its caller."""
