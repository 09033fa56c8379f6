"""Data in: TikTok Shop order exports, goods receipts and the product catalog.

Each import reads its file as a stream (`readers`), turns every row into a small typed line or a
row error, refuses the whole file when any row is bad (row numbers as the spreadsheet shows them),
and only then writes, in one transaction, through `inventory.services` (`base.post_lines`).
"""
