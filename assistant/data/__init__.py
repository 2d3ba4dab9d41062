"""The bank's data files and the words they share.

Everything the bank edits (the checklist, the risk rules, the report sections, the phrases and
don'ts, the synonyms and the out-of-scope questions) is read through :mod:`assistant.data.files`,
and the words every part of the code uses for them (borrower kinds, loan products, the two
languages of a label) live in :mod:`assistant.data.vocabulary`.
"""
