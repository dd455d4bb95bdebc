"""Bulk back-filling: discover files, process them in a pool (local or Ray), store each result once."""
