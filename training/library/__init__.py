"""The plan library: a season built once and given to many athletes.

This package owns:
- program templates (`models.ProgramTemplate`, `/api/v1/program-templates/`): weeks, phases by week and sessions by
  week, weekday and local time, written whole; saved from a program (`POST /programs/{id}/save-as-template/`) and
  applied to up to 100 athletes or a squad in one transaction (`POST /program-templates/{id}/apply/`), each
  athlete's sessions at the template's local time in their own timezone;
- session templates (`models.SessionTemplate`, `/api/v1/session-templates/`), which a new session copies with
  `templateId`.

Who sees what (`selectors`): a coach their own templates and the shared ones, head coaches every template;
athletes and operations none. Only the owner or a head coach changes a template.
"""
