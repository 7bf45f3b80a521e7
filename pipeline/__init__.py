"""The load's steps (``pipeline.steps``) and the ``xxgk`` command (``pipeline.cli``).

The top layer: it imports the core (``xxgk``), the extractors, the warehouse
and the gate; nothing imports it but the Airflow DAG.
"""
