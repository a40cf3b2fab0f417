"""The athlete's own data: the export of everything Cadence holds about an athlete (`export`, a ZIP of JSON files
in the API's shapes) and its erasure (`erasure`, everything under the athlete, their login and every history row
that holds their data, in one transaction), with the `models.ErasureRecord` that remains.

This app sits on top: it may import every other app (it must know every kind of data to export and erase), and
no app imports it."""
