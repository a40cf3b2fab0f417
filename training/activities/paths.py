"""Where an activity's file is stored. A module of its own, without models, so the migrations that name the
function (`upload_to`) import it without loading the app registry."""


def activity_file_path(activity, filename: str) -> str:
    """Where the file is stored: by athlete, named by the activity's id (the name the client gave is a column)."""
    return f"activities/{activity.athlete_id}/{activity.pk}{activity.extension}"
