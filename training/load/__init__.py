"""Training load: daily session-RPE load, ACWR, fitness/fatigue/form, weekly monotony and strain
(docs/training-load.md).

- `formulas`: the figures from daily sums, pure functions, no database.
- `queries`: who may see whose load, the daily sums grouped by the database, the typed figures.
- `api`: the endpoints (an athlete's series as JSON or CSV, the summary list) and their bodies.
- `admin`: the admin's "Training load" page (registered by training.admin).
- `charts` and `panel`: the SVG chart on the athlete's admin page and the template tag that draws it.
"""
