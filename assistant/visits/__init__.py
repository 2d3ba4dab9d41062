"""The guided visit: the checklist definition, typed answers and the visit flow."""
