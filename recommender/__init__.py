"""Proxima's recommender: pure Python + scikit-learn.

DataFrames in, DataFrames out. This package never imports Flask, SQLAlchemy or ``crm``:
an adapter in ``crm`` builds its inputs from the database and maps ids back.
"""
