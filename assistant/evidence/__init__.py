"""Reading the documents and photos collected on a visit, and checking them against the file."""
