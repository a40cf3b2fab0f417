"""Steps the browser tests share: logging in to the admin and picking in its autocomplete widgets."""

PASSWORD = "pass-word-123"  # tests.support.factories.athletes.UserFactory's password


def login(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")


def pick_autocomplete(page, field: str, text: str) -> None:
    """Choose `text` in the admin's select2 autocomplete for `field`."""
    page.click(f".field-{field} .select2-selection")
    page.fill(".select2-container--open .select2-search__field", text)
    page.click(f".select2-results__option:has-text('{text}')")
