"""The checklist knowledge base: entries as data, the search index, retrieval and answers."""
