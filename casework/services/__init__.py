"""State changes that span models, need a transaction and write an audit row (STYLE §3).

One module per thing they change: `cases` creates and edits the record of a case.
"""
