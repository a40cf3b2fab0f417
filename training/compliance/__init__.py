"""Compliance: planned against done, per session, per week (micro-cycles, load-summary rows), in the bands coaches
read at a glance (green within ±20 % of the plan, yellow, orange; red when a session was missed or skipped).

The sums and whether a planned session is in the past are computed by the database for the rows of a page; the
ratios and colours are pure functions of them (`rules`), shared by the API and the admin."""
